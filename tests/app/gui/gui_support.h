// What the GUI tests (tests/app/gui) use to drive real app windows: find items of the real QML by
// objectName, click and type through the window's event queue as a user would, wait while the
// event loop runs, and grab what the window shows.
#pragma once

#include <QImage>
#include <QQuickItem>
#include <QQuickWindow>
#include <QString>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

namespace exile::test {

// The first item of `window` named `name`, among items, popups and loaders' items (or null).
QQuickItem* find_item(QQuickWindow* window, const QString& name);
// Every item of `window` named `name`.
QList<QQuickItem*> find_items(QQuickWindow* window, const QString& name);
// Whether `item` and every ancestor of it is visible and not fully transparent.
bool shown(QQuickItem* item);
// Waits (running the event loop) until `name` exists and is visible.
QQuickItem* wait_for_item(QQuickWindow* window, const QString& name,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Runs the event loop until `done` holds or `timeout` passes.
bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// A left click in the middle of `item`.
void click(QQuickItem* item);
// Focuses `item` and types `text` key by key (non-ASCII characters as text events).
void type_into(QQuickItem* item, const QString& text);
void press_key(QQuickWindow* window, Qt::Key key, Qt::KeyboardModifiers modifiers = {});
// Sends the input method's events for `preedit` (composing) then `commit`, as a Korean IME does.
void compose(QQuickItem* item, const QString& preedit, const QString& commit);

// Every visible text in the window (Text, Label, TextField, TextArea…), for "is X shown?".
QStringList visible_texts(QQuickWindow* window);

// The controls shown (buttons, fields, boxes, tabs, switches: what a screen reader stops at)
// with nothing for a screen reader to announce, as "class objectName (role)".
QStringList unnamed_controls(QQuickWindow* window);

// The enabled controls shown (in the open dialog, if one is) that Tab never reaches, walking the
// focus chain round from the focused item, as "class objectName (role)"; the window is made
// active first and the focus is given back afterwards.
QStringList unreachable_by_tab(QQuickWindow* window);

// What the window shows now (after a frame), and the part of it `item` covers.
QImage grab(QQuickWindow* window);
QImage grab_item(QQuickWindow* window, QQuickItem* item);

// zbarimg's reading of a QR code in `image` ("" when none).
std::string decode_qr(const QImage& image, const std::filesystem::path& scratch);

}  // namespace exile::test
