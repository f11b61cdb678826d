// The JSON of exile-cli: views, events, errors and answers as docs/cli.md ("JSON") states them
// field by field. One-shot commands with --json and the daemon print the same objects.
//
// Views hold user content (names, message text): they are printed for the user who asked,
// never logged.
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "engine/engine.h"

namespace exile::cli {

[[nodiscard]] std::string_view to_string(engine::ChatState state);      // "requested", …
[[nodiscard]] std::string_view to_string(engine::MessageState state);   // "queued", …
[[nodiscard]] std::string_view to_string(engine::MessageKind kind);     // "text", …
[[nodiscard]] std::string_view event_name(const engine::Event& event);  // "message_added", …

[[nodiscard]] QJsonObject to_json(const engine::MessageView& message);
[[nodiscard]] QJsonObject to_json(const engine::ChatSummary& chat);
[[nodiscard]] QJsonObject to_json(const engine::ContactRequest& request);
[[nodiscard]] QJsonObject to_json(const engine::Verification& verification);
[[nodiscard]] QJsonObject to_json(const engine::InvitationView& invitation);
[[nodiscard]] QJsonObject to_json(const Error& error);  // {"code", "name", "message"}
// {"event": "message_added", "chat": 3, "message": 12}, …
[[nodiscard]] QJsonObject to_json(const engine::Event& event);

// {"ok": true, "result": …[, "note": …]} and {"ok": false, "error": {…}}; `id`, when given,
// leads as "id" (the daemon echoes the request's id, one-shot commands have none).
[[nodiscard]] QJsonObject ok_answer(const std::optional<QJsonValue>& id, const QJsonValue& result,
                                    const std::optional<std::string>& note = std::nullopt);
[[nodiscard]] QJsonObject error_answer(const std::optional<QJsonValue>& id, const Error& error);

// One line of compact JSON, "\n" included, as UTF-8.
[[nodiscard]] std::string to_line(const QJsonObject& object);

}  // namespace exile::cli
