// The app's image providers (src/app/README.md):
//   image://qr/<percent-encoded text>   a QR code of the text (libqrencode, error correction M),
//                                       black modules on white with a 4-module quiet zone
//   image://keyimage/<144 digits 0-3>   a verification's 12 × 12 key image
// Both draw whole pixels per cell (no smoothing): scale them with `smooth: false`.
#pragma once

#include <QQuickImageProvider>

namespace exile::app {

class QrImageProvider final : public QQuickImageProvider {
 public:
  QrImageProvider() : QQuickImageProvider(QQuickImageProvider::Image) {}
  QImage requestImage(const QString& id, QSize* size, const QSize& requested_size) override;
};

class KeyImageProvider final : public QQuickImageProvider {
 public:
  KeyImageProvider() : QQuickImageProvider(QQuickImageProvider::Image) {}
  QImage requestImage(const QString& id, QSize* size, const QSize& requested_size) override;
};

// The QR code of `text` as an image of `module_pixels` per module; null if it cannot be encoded.
[[nodiscard]] QImage qr_image(const QByteArray& text, int module_pixels);

}  // namespace exile::app
