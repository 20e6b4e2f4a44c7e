// The mapping and schema of the generated Vetspire-style files: the same
// text as datasets/vetspire/mapping.edn and schema.edn (a test keeps them
// equal), built in so generators and workloads need no files.

#include "workloads/csv_gen.h"

namespace strata::workloads {

const std::string& VetspireMappingEdn() {
  static const std::string kText = R"EDN(;; Bulk-import mapping of the Vetspire-style normalized CSV files (the
;; shape Bitwerx exports legacy practice systems to). docs/bulk-import.md
;; describes every key. Files are imported in this order, so references
;; always point at rows imported before (or earlier in the same file).
{:schema "schema.edn"
 :batch 1000
 :on-error :fail
 :files
 [{:file "locations.csv" :entity :location
   :columns [{:column "location_id" :attr :location/id :identity true}
             {:column "name" :attr :location/name :required true}
             {:column "timezone" :attr :location/timezone}
             {:column "opened_on" :attr :location/opened :type :instant :format "yyyy-MM-dd"}]}
  {:file "products.csv" :entity :product
   :columns [{:column "product_id" :attr :product/id :identity true}
             {:column "name" :attr :product/name :required true}
             {:column "kind" :attr :product/kind :type :keyword :keyword-ns "product.kind"}
             {:column "price" :attr :product/price :type :double}
             {:column "active" :attr :product/active? :type :boolean}]}
  {:file "protocols.csv" :entity :protocol
   :columns [{:column "protocol_id" :attr :protocol/id :identity true}
             {:column "name" :attr :protocol/name :required true}
             {:column "product_ids" :attr :protocol/products :ref :product/id :split ";" :required true}
             {:column "interval_days" :attr :protocol/interval-days :type :long :required true}
             {:column "species" :attr :protocol/species :type :keyword :keyword-ns "species"}]}
  {:file "clients.csv" :entity :client
   :columns [{:column "client_id" :attr :client/id :identity true}
             {:column "first_name" :attr :client/first-name}
             {:column "last_name" :attr :client/last-name :required true}
             {:column "email" :attr :client/email}
             {:column "phone" :attr :client/phone}
             {:column "location_id" :attr :client/location :ref :location/id}
             {:column "created_at" :attr :client/created :type :instant}
             {:column "balance" :attr :client/balance :type :double}
             {:column "notes" :attr :client/notes :trim false}]}
  {:file "patients.csv" :entity :patient
   :columns [{:column "patient_id" :attr :patient/id :identity true}
             {:column "client_id" :attr :patient/client :ref :client/id :required true}
             {:column "name" :attr :patient/name :required true}
             {:column "species" :attr :patient/species :type :keyword :keyword-ns "species"}
             {:column "breed" :attr :patient/breed}
             {:column "birth_date" :attr :patient/birth-date :type :instant :format "MM/dd/yyyy"}
             {:column "weight_kg" :attr :patient/weight-kg :type :double}
             {:column "deceased" :attr :patient/deceased? :type :boolean}
             {:column "external_uuid" :attr :patient/uuid :type :uuid}]}
  {:file "immunizations.csv" :entity :immunization
   :columns [{:column "immunization_id" :attr :immunization/id :identity true}
             {:column "patient_id" :attr :immunization/patient :ref :patient/id :required true}
             {:column "product_id" :attr :immunization/product :ref :product/id :required true}
             {:column "location_id" :attr :immunization/location :ref :location/id}
             {:column "given_at" :attr :immunization/given :type :instant :required true}
             {:column "lot" :attr :immunization/lot}
             {:column "declined" :attr :immunization/declined? :type :boolean}]}
  {:file "orders.csv" :entity :order
   :columns [{:column "order_id" :attr :order/id :identity true}
             {:column "patient_id" :attr :order/patient :ref :patient/id :required true}
             {:column "product_id" :attr :order/product :ref :product/id :required true}
             {:column "location_id" :attr :order/location :ref :location/id}
             {:column "ordered_at" :attr :order/ordered :type :instant :required true}
             {:column "quantity" :attr :order/quantity :type :long}
             {:column "total" :attr :order/total :type :double}
             {:column "status" :attr :order/status :type :keyword :keyword-ns "order.status"}]}]}
)EDN";
  return kText;
}

const std::string& VetspireSchemaEdn() {
  static const std::string kText = R"EDN(;; Schema of the Vetspire-style normalized data (see mapping.edn and
;; docs/bulk-import.md). One transaction; `strata import` installs it when
;; the mapping names it and it is not installed yet.
[;; locations: the practice's clinics (Vetspire shards reminders by location)
 {:db/ident :location/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :location/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :location/timezone :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :location/opened :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
 ;; products: vaccines, medications, services
 {:db/ident :product/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :product/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :product/kind :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :product/price :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
 {:db/ident :product/active? :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
 ;; protocols: which products satisfy a medical protocol, and how often it is due
 {:db/ident :protocol/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :protocol/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :protocol/products :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
 {:db/ident :protocol/interval-days :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
 {:db/ident :protocol/species :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 ;; clients: the pet owners
 {:db/ident :client/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :client/first-name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :client/last-name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :client/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/index true}
 {:db/ident :client/phone :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :client/location :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :client/created :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
 {:db/ident :client/balance :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
 {:db/ident :client/notes :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 ;; patients: the animals
 {:db/ident :patient/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :patient/client :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :patient/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :patient/species :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}
 {:db/ident :patient/breed :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :patient/birth-date :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
 {:db/ident :patient/weight-kg :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
 {:db/ident :patient/deceased? :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
 {:db/ident :patient/uuid :db/valueType :db.type/uuid :db/cardinality :db.cardinality/one :db/unique :db.unique/value}
 ;; immunizations: vaccines given (or declined)
 {:db/ident :immunization/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :immunization/patient :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :immunization/product :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :immunization/location :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :immunization/given :db/valueType :db.type/instant :db/cardinality :db.cardinality/one :db/index true}
 {:db/ident :immunization/lot :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
 {:db/ident :immunization/declined? :db/valueType :db.type/boolean :db/cardinality :db.cardinality/one}
 ;; orders: medications and services sold to a patient
 {:db/ident :order/id :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
 {:db/ident :order/patient :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :order/product :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :order/location :db/valueType :db.type/ref :db/cardinality :db.cardinality/one}
 {:db/ident :order/ordered :db/valueType :db.type/instant :db/cardinality :db.cardinality/one}
 {:db/ident :order/quantity :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
 {:db/ident :order/total :db/valueType :db.type/double :db/cardinality :db.cardinality/one}
 {:db/ident :order/status :db/valueType :db.type/keyword :db/cardinality :db.cardinality/one}]
)EDN";
  return kText;
}

}  // namespace strata::workloads
