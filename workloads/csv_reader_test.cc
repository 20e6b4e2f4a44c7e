#include "workloads/csv_reader.h"

#include <gtest/gtest.h>

namespace strata::workloads {
namespace {

struct Row {
  std::vector<std::string> fields;
  uint64_t line;
  std::string error;
};

// Every record of `text`, read in chunks of `chunk` bytes.
std::vector<Row> ReadAll(const std::string& text, size_t chunk = 3, size_t max_record = 1 << 20) {
  CsvOptions o;
  o.chunk_bytes = chunk;
  o.max_record_bytes = max_record;
  CsvReader r(NewStringCsvSource(text), o);
  std::vector<Row> out;
  CsvRecord rec;
  std::string err;
  while (r.Next(&rec, &err)) out.push_back(Row{rec.fields, rec.line, err});
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.bytes_read(), text.size());
  return out;
}

using F = std::vector<std::string>;

TEST(CsvReader, PlainQuotedEscapedAndEmbeddedNewlines) {
  for (size_t chunk : {1, 2, 3, 7, 64 << 10}) {
    auto rows = ReadAll("a,b,c\n1,\"x, y\",\"say \"\"hi\"\"\"\n2,\"two\nlines\",\n3,,\"\"\n", chunk);
    ASSERT_EQ(rows.size(), 4u) << chunk;
    EXPECT_EQ(rows[0].fields, (F{"a", "b", "c"}));
    EXPECT_EQ(rows[1].fields, (F{"1", "x, y", "say \"hi\""}));
    EXPECT_EQ(rows[2].fields, (F{"2", "two\nlines", ""}));
    EXPECT_EQ(rows[2].line, 3u);
    EXPECT_EQ(rows[3].fields, (F{"3", "", ""}));
    EXPECT_EQ(rows[3].line, 5u);  // the embedded newline counts
    for (const Row& r : rows) EXPECT_EQ(r.error, "");
  }
}

TEST(CsvReader, CrlfBomBlankLinesAndNoFinalNewline) {
  for (size_t chunk : {1, 2, 5, 4096}) {
    auto rows = ReadAll("\xEF\xBB\xBFid,name\r\n\r\n1,\"a\r\nb\"\r\n2,z", chunk);
    ASSERT_EQ(rows.size(), 3u) << chunk;
    EXPECT_EQ(rows[0].fields, (F{"id", "name"}));
    EXPECT_EQ(rows[1].fields, (F{"1", "a\r\nb"}));
    EXPECT_EQ(rows[1].line, 3u);
    EXPECT_EQ(rows[2].fields, (F{"2", "z"}));
    EXPECT_EQ(rows[2].line, 5u);
  }
}

TEST(CsvReader, BrokenQuotingIsReportedAndSkipsOneLine) {
  for (size_t chunk : {1, 3, 4096}) {
    auto rows = ReadAll("h1,h2\n1,\"ab\"x,c\n2,ab\"c\n3,ok\n", chunk);
    ASSERT_EQ(rows.size(), 4u) << chunk;
    EXPECT_NE(rows[1].error.find("after the closing quote"), std::string::npos) << rows[1].error;
    EXPECT_EQ(rows[1].line, 2u);
    EXPECT_NE(rows[2].error.find("quote inside unquoted field"), std::string::npos) << rows[2].error;
    EXPECT_EQ(rows[2].line, 3u);
    EXPECT_EQ(rows[3].fields, (F{"3", "ok"}));
    EXPECT_EQ(rows[3].line, 4u);
  }
}

TEST(CsvReader, UnterminatedQuoteCostsOneLine) {
  // At the end of input: the open quote swallowed everything; reading
  // resumes on the line after the record's first line.
  auto rows = ReadAll("h\n\"open,1\n2\n3\n", 2);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_NE(rows[1].error.find("never closed"), std::string::npos) << rows[1].error;
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].fields, (F{"2"}));
  EXPECT_EQ(rows[2].line, 3u);
  EXPECT_EQ(rows[3].fields, (F{"3"}));
}

TEST(CsvReader, OverlongRecordIsMalformedAndMemoryBounded) {
  std::string text = "h\n\"" + std::string(5000, 'x') + "\nnext\n";
  auto rows = ReadAll(text, 64, 1000);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_NE(rows[1].error.find("longer than 1000"), std::string::npos) << rows[1].error;
  // Reading resumes on the line after the record's first line.
  EXPECT_EQ(rows[2].fields, (F{"next"}));
  EXPECT_EQ(rows[2].line, 3u);
}

// Fuzz finding (datasets/fuzz/regressions/csv_fuzz-record-limit-depends-on-chunks):
// the limit was checked only when the buffer ran dry, so a record over it
// passed when it happened to fit in one chunk.
TEST(CsvReader, TheRecordLimitDoesNotDependOnTheChunkSize) {
  const std::string text = "a," + std::string(200, 'y') + "\nok\n";
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{64}, size_t{4096}}) {
    SCOPED_TRACE(chunk);
    auto rows = ReadAll(text, chunk, 100);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_NE(rows[0].error.find("longer than 100"), std::string::npos) << rows[0].error;
    EXPECT_EQ(rows[1].fields, (F{"ok"}));
  }
  // A record of exactly the limit is fine.
  auto rows = ReadAll(std::string(100, 'z') + "\n", 4096, 100);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].error.empty()) << rows[0].error;
}

TEST(CsvReader, OtherDelimiter) {
  CsvOptions o;
  o.delimiter = '\t';
  CsvReader r(NewStringCsvSource("a\tb,c\n\"x\ty\"\t2\n"), o);
  CsvRecord rec;
  std::string err;
  ASSERT_TRUE(r.Next(&rec, &err));
  EXPECT_EQ(rec.fields, (F{"a", "b,c"}));
  ASSERT_TRUE(r.Next(&rec, &err));
  EXPECT_EQ(rec.fields, (F{"x\ty", "2"}));
  EXPECT_FALSE(r.Next(&rec, &err));
}

TEST(CsvReader, ReadsFilesThroughTheEnv) {
  auto env = NewMemEnv();
  ASSERT_TRUE(env->CreateDirs("/d").ok());
  ASSERT_TRUE(WriteFileAtomic(env.get(), "/d/x.csv", "a,b\n1,2\n").ok());
  auto src = OpenCsvFile(env.get(), "/d/x.csv");
  ASSERT_TRUE(src.ok());
  CsvReader r(std::move(*src));
  EXPECT_EQ(r.bytes_total(), 8u);
  CsvRecord rec;
  std::string err;
  int n = 0;
  while (r.Next(&rec, &err)) ++n;
  EXPECT_EQ(n, 2);
  EXPECT_FALSE(OpenCsvFile(env.get(), "/d/missing.csv").ok());
}

}  // namespace
}  // namespace strata::workloads

namespace strata::workloads {
namespace {

// Fields become values, so they are UTF-8; a multi-byte character split
// across chunks is still one character.
TEST(CsvReader, FieldsMustBeUtf8) {
  for (size_t chunk : {1, 2, 3, 4096}) {
    auto rows = ReadAll("id,name\n1,caf\xC3\xA9\n2,\"ab\xFF\"\n3,\xF0\x9F\x98\x80,x\xC0\x80\n4,ok\n", chunk);
    ASSERT_EQ(rows.size(), 5u) << chunk;
    EXPECT_EQ(rows[1].error, "");
    EXPECT_EQ(rows[1].fields, (F{"1", "caf\xC3\xA9"}));
    EXPECT_EQ(rows[2].error, "field 2 is not valid UTF-8: byte 0xFF at offset 2 of the field");
    EXPECT_EQ(rows[2].line, 3u);
    EXPECT_EQ(rows[3].error, "field 3 is not valid UTF-8: byte 0xC0 at offset 1 of the field");  // overlong
    EXPECT_EQ(rows[4].error, "");
    EXPECT_EQ(rows[4].fields, (F{"4", "ok"}));
  }
}

}  // namespace
}  // namespace strata::workloads
