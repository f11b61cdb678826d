// exile-cli's text output: what a one-shot command prints without --json, rendered from the
// same JSON result that --json prints (json_views.h), so that the two never disagree.
#pragma once

#include <QJsonValue>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/command.h"

namespace exile::cli {

// "12345 12345 12345 12345\n" three times: the 12 groups of 5 digits, four to a line. The groups
// are read from the digits alone, whatever separates them. Anything but 60 digits is returned
// as it is, on one line.
[[nodiscard]] std::string format_safety_number(std::string_view safety_number);

// The key image (12 × 12 cells, row by row, each 0..3) as 12 lines of 24 columns: each cell is
// two characters wide so that it looks square, drawn as ░ ▒ ▓ █ for 0, 1, 2, 3. Anything but
// 144 cells of 0..3 gives "(no key image)\n".
[[nodiscard]] std::string format_key_image(const std::vector<std::uint8_t>& cells);

// Local time, "2024-05-01 12:34".
[[nodiscard]] std::string format_time(std::int64_t unix_millis);

// One message as one line (no "\n"): "#12 2024-05-01 12:34 me: hello (delivered)".
[[nodiscard]] std::string format_message(const QJsonValue& message);

// The text a command prints for its result (json_views.h's shapes, docs/cli.md).
[[nodiscard]] std::string render_text(const Command& command, const QJsonValue& result,
                                      bool has_note);

}  // namespace exile::cli
