// The terminal QR code (engine/qr_ascii.h). The drawing is read back into modules, written as a
// PBM image and decoded with zbarimg (Debian's zbar-tools, which scripts/ installs): the test
// fails, not skips, without it, because only a decoder shows that the code scans.
#include "engine/qr_ascii.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/invitation.h"

namespace exile::engine {
namespace {

constexpr std::string_view kExampleLink =
    "exile://invite/v1/AAECAwQFBgcICQoLDA0ODyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4_QEFCQ0RFRkdI"
    "SUpLTE1OT1BRUlNUVVZXWFlaW1xdXl8Xd3NzOi8vcmVsYXkuZXhhbXBsZS5vcmdjcqy7";

// One row per module row; true = light. The drawing's last character row may hold one module
// row only (the side is odd); its lower half is terminal background and is dropped.
using Modules = std::vector<std::vector<bool>>;

Modules read_drawing(const std::string& drawing) {
  Modules modules;
  std::size_t line_start = 0;
  while (line_start < drawing.size()) {
    const std::size_t end = drawing.find('\n', line_start);
    EXPECT_NE(end, std::string::npos) << "every line ends with a newline";
    if (end == std::string::npos) break;
    std::vector<bool> top;
    std::vector<bool> bottom;
    for (std::size_t i = line_start; i < end;) {
      if (drawing[i] == ' ') {
        top.push_back(false);
        bottom.push_back(false);
        ++i;
        continue;
      }
      const std::string cell = drawing.substr(i, 3);
      top.push_back(cell == "\u2588" || cell == "\u2580");
      bottom.push_back(cell == "\u2588" || cell == "\u2584");
      EXPECT_TRUE(cell == "\u2588" || cell == "\u2580" || cell == "\u2584") << "at byte " << i;
      i += 3;
    }
    modules.push_back(std::move(top));
    modules.push_back(std::move(bottom));
    line_start = end + 1;
  }
  if (!modules.empty()) {
    const std::size_t side = modules.front().size();
    if (modules.size() == side + 1) {
      for (bool light : modules.back()) EXPECT_FALSE(light) << "the unused half row is not drawn";
      modules.pop_back();
    }
  }
  return modules;
}

// Plain PBM (P1), `scale` pixels per module; 1 is black, i.e. a dark module.
std::filesystem::path write_pbm(const Modules& modules, int scale, const std::string& name) {
  const auto path = std::filesystem::path(testing::TempDir()) / name;
  std::ofstream out(path);
  const std::size_t side = modules.size();
  out << "P1\n"
      << side * static_cast<std::size_t>(scale) << ' ' << side * static_cast<std::size_t>(scale)
      << '\n';
  for (const auto& row : modules) {
    for (int y = 0; y < scale; ++y) {
      for (bool light : row) {
        for (int x = 0; x < scale; ++x) out << (light ? "0 " : "1 ");
      }
      out << '\n';
    }
  }
  return path;
}

// zbarimg's output for `image`, or why it could not be had.
testing::AssertionResult decode_with_zbarimg(const std::filesystem::path& image,
                                             std::string& text) {
  if (std::system("command -v zbarimg >/dev/null 2>&1") != 0) {
    return testing::AssertionFailure()
           << "zbarimg not found: install zbar-tools (scripts/lib/common.sh lists it)";
  }
  // stderr apart: zbarimg may complain there about a missing D-Bus, which changes nothing.
  const auto errors = image.string() + ".stderr";
  const std::string command = "zbarimg --quiet --raw '" + image.string() + "' 2>'" + errors + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return testing::AssertionFailure() << "popen failed";
  std::array<char, 512> chunk{};
  text.clear();
  while (std::fgets(chunk.data(), static_cast<int>(chunk.size()), pipe) != nullptr) {
    text += chunk.data();
  }
  const int status = pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream err(errors);
    std::ostringstream err_text;
    err_text << err.rdbuf();
    return testing::AssertionFailure() << "zbarimg failed (" << status << "): " << err_text.str();
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::filesystem::remove(image);
  std::filesystem::remove(errors);
  return testing::AssertionSuccess();
}

TEST(QrAsciiTest, TheExampleLinkScansBackExactly) {
  const auto drawing = render_qr_ascii(kExampleLink);
  ASSERT_TRUE(drawing.has_value()) << drawing.error();
  const Modules modules = read_drawing(*drawing);
  ASSERT_FALSE(modules.empty());
  const std::size_t side = modules.size();
  for (const auto& row : modules) ASSERT_EQ(row.size(), side);
  // 162 bytes at level M need version 9: 53 modules, plus 4 on each side.
  EXPECT_EQ(side, 53u + 8u);
  std::string decoded;
  ASSERT_TRUE(decode_with_zbarimg(write_pbm(modules, 4, "exile_qr_example.pbm"), decoded));
  EXPECT_EQ(decoded, kExampleLink);
}

TEST(QrAsciiTest, TheQuietZoneIsFourLightModules) {
  const auto drawing = render_qr_ascii("exile");
  ASSERT_TRUE(drawing.has_value());
  const Modules modules = read_drawing(*drawing);
  const std::size_t side = modules.size();
  ASSERT_EQ(side, 21u + 8u);  // version 1
  for (std::size_t r = 0; r < side; ++r) {
    for (std::size_t c = 0; c < side; ++c) {
      const bool in_zone = r < 4 || c < 4 || r >= side - 4 || c >= side - 4;
      if (in_zone) {
        EXPECT_TRUE(modules[r][c]) << r << "," << c;
      }
    }
  }
  // The finder pattern's corner, just inside the zone, is dark.
  EXPECT_FALSE(modules[4][4]);
}

TEST(QrAsciiTest, TheLongestInvitationLinkScans) {
  Invitation invitation;
  invitation.relay_url = "wss://" + std::string(61, 'a') + "." + std::string(60, 'b');
  invitation.bundle_key.data()[0] = 1;
  const auto link = encode_invitation_link(invitation);
  ASSERT_TRUE(link.has_value()) << link.error();
  const auto drawing = render_qr_ascii(*link);
  ASSERT_TRUE(drawing.has_value());
  const Modules modules = read_drawing(*drawing);
  EXPECT_EQ(modules.size(), 69u + 8u);  // 302 bytes at level M need version 13
  std::string decoded;
  ASSERT_TRUE(decode_with_zbarimg(write_pbm(modules, 4, "exile_qr_longest.pbm"), decoded));
  EXPECT_EQ(decoded, *link);
}

TEST(QrAsciiTest, RefusesWhatNoQrCodeHolds) {
  EXPECT_EQ(render_qr_ascii("").error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(render_qr_ascii(std::string("a\0b", 3)).error().code, ErrorCode::InvalidArgument);
  const auto huge = render_qr_ascii(std::string(3000, 'x'));
  ASSERT_FALSE(huge.has_value());
  EXPECT_EQ(huge.error().code, ErrorCode::InvalidArgument);
  EXPECT_EQ(huge.error().message.find("xxx"), std::string::npos);
}

}  // namespace
}  // namespace exile::engine
