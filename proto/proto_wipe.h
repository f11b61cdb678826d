// Wiping protobuf messages: protobuf frees its strings without clearing them, so every message
// that held secrets or user content (saved sessions, content messages) is wiped before it is
// destroyed. Hand-written, beside the generated code of exile_proto.
#pragma once

#include <google/protobuf/message.h>

#include <string>

namespace exile::pb {

// Zeroes a string field's bytes in place. Protobuf created the string non-const, so writing
// through the const accessor's reference is well-defined.
void wipe_bytes(const std::string& s);

// Zeroes every length-delimited unknown field (and those inside unknown groups) of `m`. Does not
// allocate (safe in a destructor).
void wipe_unknown(google::protobuf::Message& m);

}  // namespace exile::pb
