#include "engine/qr_ascii.h"

#include <qrencode.h>

#include <cerrno>
#include <memory>

namespace exile::engine {
namespace {

constexpr int kQuietZone = 4;  // modules; ISO/IEC 18004 asks for 4

struct QrCodeFree {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

Result<std::string> render_qr_ascii(std::string_view text) {
  if (text.empty()) return fail(ErrorCode::InvalidArgument, "QR code: empty text");
  if (text.find('\0') != std::string_view::npos) {
    return fail(ErrorCode::InvalidArgument, "QR code: text holds a NUL byte");
  }
  const std::string terminated(text);  // libqrencode reads a C string
  errno = 0;
  const std::unique_ptr<QRcode, QrCodeFree> code(
      QRcode_encodeString8bit(terminated.c_str(), 0, QR_ECLEVEL_M));
  if (!code) {
    if (errno == ERANGE) return fail(ErrorCode::InvalidArgument, "QR code: text too long");
    if (errno == ENOMEM) return fail(ErrorCode::OutOfMemory);
    return fail(ErrorCode::Internal, "QR code: libqrencode failed");
  }
  const int width = code->width;
  const int side = width + 2 * kQuietZone;
  // Light when outside the symbol or when libqrencode's bit 0 (dark) is clear.
  const auto light = [&](int row, int column) {
    const int r = row - kQuietZone;
    const int c = column - kQuietZone;
    if (r < 0 || c < 0 || r >= width || c >= width) return true;
    return (code->data[r * width + c] & 1) == 0;
  };
  std::string out;
  out.reserve(static_cast<std::size_t>((side + 1) / 2 * (side * 3 + 1)));
  for (int row = 0; row < side; row += 2) {
    for (int column = 0; column < side; ++column) {
      const bool top = light(row, column);
      const bool bottom = row + 1 < side ? light(row + 1, column) : false;
      if (top && bottom) {
        out += "\u2588";
      } else if (top) {
        out += "\u2580";
      } else if (bottom) {
        out += "\u2584";
      } else {
        out += ' ';
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace exile::engine
