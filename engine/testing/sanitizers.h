// sanitizers.h — which sanitizer a test binary was built with (test builds
// only). Tests use it to scale work that a sanitizer slows ten times or
// more, never to skip a check the release build does not also run.
#pragma once

namespace strata::testing {

#if defined(__SANITIZE_THREAD__)
inline constexpr bool kUnderTsan = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool kUnderTsan = true;
#else
inline constexpr bool kUnderTsan = false;
#endif
#else
inline constexpr bool kUnderTsan = false;
#endif

}  // namespace strata::testing
