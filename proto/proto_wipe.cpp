#include "proto_wipe.h"

#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>
#include <sodium.h>

namespace exile::pb {
namespace {

void wipe_fields(google::protobuf::UnknownFieldSet* fields) {
  for (int i = 0; i < fields->field_count(); ++i) {
    auto* field = fields->mutable_field(i);
    if (field->type() == google::protobuf::UnknownField::TYPE_LENGTH_DELIMITED) {
      wipe_bytes(field->length_delimited());
    } else if (field->type() == google::protobuf::UnknownField::TYPE_GROUP) {
      wipe_fields(field->mutable_group());
    }
  }
}

}  // namespace

void wipe_bytes(const std::string& s) {
  if (!s.empty()) sodium_memzero(const_cast<char*>(s.data()), s.size());
}

void wipe_unknown(google::protobuf::Message& m) {
  // MutableUnknownFields would allocate an empty set when there is none; nothing to wipe then.
  if (m.GetReflection()->GetUnknownFields(m).empty()) return;
  wipe_fields(m.GetReflection()->MutableUnknownFields(&m));
}

}  // namespace exile::pb
