// A QR code for a terminal: how exile-cli shows an invitation link to be scanned.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace exile::engine {

// `text` as a QR code (libqrencode, byte mode, error correction level M, the smallest version
// that holds it), drawn with a quiet zone of 4 modules on every side. Each character cell holds
// two modules, one above the other, drawn with the UTF-8 half blocks U+2580 "▀", U+2584 "▄",
// U+2588 "█" and a space; a drawn half is a LIGHT module, so the code reads correctly on a
// terminal with light text on a dark background (the usual default), as `qrencode -t UTF8`
// does. Every line ends with "\n". InvalidArgument if `text` is empty, holds a NUL byte or is too
// long for any QR code.
[[nodiscard]] Result<std::string> render_qr_ascii(std::string_view text);

}  // namespace exile::engine
