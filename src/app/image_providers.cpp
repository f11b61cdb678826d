#include "app/image_providers.h"

#include <qrencode.h>

#include <QColor>
#include <QPainter>
#include <QUrl>
#include <algorithm>
#include <array>
#include <memory>

namespace exile::app {
namespace {

constexpr int kQuietModules = 4;
constexpr int kKeyImageSide = 12;

int pixels_per_cell(int cells, const QSize& requested, int fallback) {
  const int side = std::max(requested.width(), requested.height());
  return side > 0 ? std::max(1, side / cells) : fallback;
}

}  // namespace

QImage qr_image(const QByteArray& text, int module_pixels) {
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.constData()), 0, QR_ECLEVEL_M),
      &QRcode_free);
  if (!code) return {};
  const int modules = code->width + 2 * kQuietModules;
  QImage image(modules * module_pixels, modules * module_pixels, QImage::Format_RGB32);
  image.fill(Qt::white);
  QPainter painter(&image);
  for (int y = 0; y < code->width; ++y) {
    for (int x = 0; x < code->width; ++x) {
      if ((code->data[y * code->width + x] & 1) != 0) {
        painter.fillRect((x + kQuietModules) * module_pixels, (y + kQuietModules) * module_pixels,
                         module_pixels, module_pixels, Qt::black);
      }
    }
  }
  return image;
}

QImage QrImageProvider::requestImage(const QString& id, QSize* size, const QSize& requested_size) {
  const QByteArray text = QUrl::fromPercentEncoding(id.toUtf8()).toUtf8();
  // The module count is known only after encoding: encode once at one pixel, then scale up.
  QImage probe = qr_image(text, 1);
  if (probe.isNull()) return {};
  const int module_pixels = pixels_per_cell(probe.width(), requested_size, 8);
  QImage image = module_pixels == 1 ? probe : qr_image(text, module_pixels);
  if (size != nullptr) *size = image.size();
  return image;
}

QImage KeyImageProvider::requestImage(const QString& id, QSize* size, const QSize& requested_size) {
  // Four colours that stay apart for the common kinds of colour blindness.
  static constexpr std::array<QRgb, 4> kColours = {0xff1b1b1f, 0xff0072b2, 0xffe69f00, 0xfff0f0f0};
  if (id.size() != kKeyImageSide * kKeyImageSide) return {};
  const int cell = pixels_per_cell(kKeyImageSide, requested_size, 12);
  QImage image(kKeyImageSide * cell, kKeyImageSide * cell, QImage::Format_RGB32);
  QPainter painter(&image);
  for (int i = 0; i < id.size(); ++i) {
    const int value = std::clamp(id[i].digitValue(), 0, 3);
    painter.fillRect((i % kKeyImageSide) * cell, (i / kKeyImageSide) * cell, cell, cell,
                     QColor::fromRgb(kColours[static_cast<std::size_t>(value)]));
  }
  if (size != nullptr) *size = image.size();
  return image;
}

}  // namespace exile::app
