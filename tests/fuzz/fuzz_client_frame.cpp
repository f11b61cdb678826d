// Fuzz target for the client's decoder of relay frames (client/detail/relay_codec.h,
// decode_server_frame): every byte a relay sends reaches it first, and a relay is not trusted.
//
// Checks, for any input: no crash; the answer is a frame or a DecodeFailure (the decoder's
// fixed-size fields are arrays, so a decoded frame holds exact sizes by construction); a push
// never carries a request id; a body is never larger than the frame it came in.
//
// Seeds (tests/fuzz/seeds/client_frame/): one valid ServerFrame of each kind, encoded with the
// generated protobuf code (Hello, Ok, Ids, Msg, Bundle, Pong, End, Error).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <variant>

#include "client/detail/relay_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace d = exile::client::detail;
  const auto decoded = d::decode_server_frame(exile::ByteView(data, size));
  if (const auto* frame = std::get_if<d::ServerFrame>(&decoded)) {
    if (std::holds_alternative<d::Push>(frame->body) && frame->request_id != 0) std::abort();
    if (const auto* push = std::get_if<d::Push>(&frame->body)) {
      if (const auto* msg = std::get_if<d::MsgPush>(push)) {
        if (msg->body.size() > size) std::abort();
      }
    }
  }
  return 0;
}
