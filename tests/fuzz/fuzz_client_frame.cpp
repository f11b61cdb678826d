// Fuzz target for the client's decoder of relay messages (client/detail/relay_codec.h,
// decode_server_batch): every byte a relay sends reaches it first, and a relay is not trusted.
//
// Checks, for any input: no crash; the answer is one or more frames or a DecodeFailure (the
// decoder's fixed-size fields are arrays, so a decoded frame holds exact sizes by
// construction); a batch never holds more frames than it could encode (2 bytes each at least);
// a push never carries a request id; a body is never larger than the message it came in.
//
// Seeds (tests/fuzz/seeds/client_frame/): one valid ServerFrame of each kind (Hello, Ok, Ids,
// Msg, Bundle, Pong, End, Error), each alone in a ServerBatch, and one batch of three frames
// (Ok, Msg, Ok: a SEND's answer, a push, an ACK's answer), encoded with the generated protobuf
// code.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>
#include <vector>

#include "relay/client/detail/relay_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace d = exile::relay::client::detail;
  const auto decoded = d::decode_server_batch(exile::ByteView(data, size));
  if (const auto* frames = std::get_if<std::vector<d::ServerFrame>>(&decoded)) {
    if (frames->empty() || frames->size() > size / 2) std::abort();
    for (const d::ServerFrame& frame : *frames) {
      if (std::holds_alternative<d::Push>(frame.body) && frame.request_id != 0) std::abort();
      if (const auto* push = std::get_if<d::Push>(&frame.body)) {
        if (const auto* msg = std::get_if<d::MsgPush>(push)) {
          if (msg->body.size() > size) std::abort();
        }
      }
    }
  }
  return 0;
}
