#include "gui_support.h"

#include <QAccessible>
#include <QCoreApplication>
#include <QGuiApplication>
#include <QInputMethodEvent>
#include <QPointer>
#include <QProcess>
#include <QTest>
#include <QVariant>
#include <set>
#include <vector>

namespace exile::test {
namespace {

void collect(QObject* object, const QString& name, QList<QObject*>& out, QSet<QObject*>& seen) {
  if (object == nullptr || seen.contains(object)) return;
  seen.insert(object);
  if (object->objectName() == name) out.push_back(object);
  for (auto* child : object->children()) collect(child, name, out, seen);
  if (auto* item = qobject_cast<QQuickItem*>(object)) {
    for (auto* child : item->childItems()) collect(child, name, out, seen);
  }
}

QList<QObject*> find_all(QQuickWindow* window, const QString& name) {
  QList<QObject*> out;
  QSet<QObject*> seen;
  collect(window, name, out, seen);
  collect(window->contentItem(), name, out, seen);
  // Popups live on the window's overlay, which is a child of the content item's parent.
  if (auto* root = window->contentItem()->parentItem()) collect(root, name, out, seen);
  return out;
}

void collect_texts(QQuickItem* item, QStringList& out) {
  if (item == nullptr || !item->isVisible() || item->opacity() <= 0.0) return;
  const QVariant text = item->property("text");
  if (text.isValid() && text.canConvert<QString>()) {
    const auto s = text.toString();
    if (!s.isEmpty()) out.push_back(s);
  }
  const QVariant placeholder = item->property("placeholderText");
  if (placeholder.isValid() && !placeholder.toString().isEmpty()) {
    out.push_back(placeholder.toString());
  }
  for (auto* child : item->childItems()) collect_texts(child, out);
}

}  // namespace

bool shown(QQuickItem* item) {
  for (auto* i = item; i != nullptr; i = i->parentItem()) {
    if (!i->isVisible() || i->opacity() <= 0.0) return false;
  }
  return true;
}

QQuickItem* find_item(QQuickWindow* window, const QString& name) {
  for (auto* o : find_all(window, name)) {
    if (auto* item = qobject_cast<QQuickItem*>(o)) return item;
  }
  return nullptr;
}

QList<QQuickItem*> find_items(QQuickWindow* window, const QString& name) {
  QList<QQuickItem*> out;
  for (auto* o : find_all(window, name)) {
    if (auto* item = qobject_cast<QQuickItem*>(o)) out.push_back(item);
  }
  return out;
}

QQuickItem* wait_for_item(QQuickWindow* window, const QString& name,
                          std::chrono::milliseconds timeout) {
  QQuickItem* found = nullptr;
  pump_until(
      [&] {
        for (auto* item : find_items(window, name)) {
          if (shown(item)) {
            found = item;
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

bool pump_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  return QTest::qWaitFor(done, static_cast<int>(timeout.count()));
}

void click(QQuickItem* item) {
  auto* window = item->window();
  const QPointF center = item->mapToScene(QPointF(item->width() / 2, item->height() / 2));
  QTest::mouseClick(window, Qt::LeftButton, {}, center.toPoint());
  QTest::qWait(20);
}

void type_into(QQuickItem* item, const QString& text) {
  item->forceActiveFocus();
  QTest::qWait(20);
  for (const QChar ch : text) {
    // The key a letter or digit is on, so that shortcuts and validators see a real key; other
    // characters arrive as text alone, as an input method would give them.
    const QChar upper = ch.toUpper();
    const auto key = upper.unicode() < 0x80 && upper.isLetterOrNumber()
                         ? static_cast<Qt::Key>(upper.unicode())
                         : (ch == QLatin1Char(' ') ? Qt::Key_Space : Qt::Key_unknown);
    QTest::sendKeyEvent(QTest::Click, item->window(), key, QString(ch), Qt::NoModifier);
  }
  QTest::qWait(20);
}

void press_key(QQuickWindow* window, Qt::Key key, Qt::KeyboardModifiers modifiers) {
  QTest::keyClick(window, key, modifiers);
  QTest::qWait(20);
}

void compose(QQuickItem* item, const QString& preedit, const QString& commit) {
  item->forceActiveFocus();
  QInputMethodEvent composing(preedit, {});
  QCoreApplication::sendEvent(item, &composing);
  QTest::qWait(20);
  QInputMethodEvent committed;
  committed.setCommitString(commit);
  QCoreApplication::sendEvent(item, &committed);
  QTest::qWait(20);
}

QStringList visible_texts(QQuickWindow* window) {
  QStringList out;
  if (auto* root = window->contentItem()->parentItem()) {
    collect_texts(root, out);
  } else {
    collect_texts(window->contentItem(), out);
  }
  return out;
}

namespace {

// What a screen reader announces for a control. Qt Quick 6.4 reports no name at all for a
// field flagged as a password edit (QQuickAccessibleAttached::name() returns an empty string
// whenever passwordEdit is set, whatever the QML assigns), so for those fields the description is
// what is spoken, and it must carry the label.
QString announced_name(QAccessibleInterface* iface) {
  if (iface->state().passwordEdit) return iface->text(QAccessible::Description);
  return iface->text(QAccessible::Name);
}

QString describe(QQuickItem* item, QAccessibleInterface* iface) {
  return QStringLiteral("%1 %2 (role %3)")
      .arg(QString::fromUtf8(item->metaObject()->className()), item->objectName())
      .arg(static_cast<int>(iface->role()));
}

// The controls shown under `item`: what a screen reader stops at and a keyboard user must reach
// (buttons, fields, check boxes, combo and spin boxes, tabs, sliders, menu items).
void collect_controls(QQuickItem* item,
                      std::vector<std::pair<QQuickItem*, QAccessibleInterface*>>& out) {
  if (!item->isVisible() || item->opacity() <= 0.0) return;
  if (QAccessibleInterface* iface = QAccessible::queryAccessibleInterface(item)) {
    switch (iface->role()) {
      case QAccessible::ComboBox:
      case QAccessible::SpinBox:
        // Its own text field is a part of it, named and focused through it.
        out.emplace_back(item, iface);
        return;
      case QAccessible::Button:
      case QAccessible::CheckBox:
      case QAccessible::RadioButton:
      case QAccessible::EditableText:
      case QAccessible::Slider:
      case QAccessible::PageTab:
      case QAccessible::MenuItem: out.emplace_back(item, iface); break;
      default: break;
    }
  }
  for (QQuickItem* child : item->childItems()) collect_controls(child, out);
}

// The root of the open popup (a dialog) shown last, if any: Tab stays inside it.
QQuickItem* open_popup(QQuickItem* item) {
  if (!item->isVisible() || item->opacity() <= 0.0) return nullptr;
  QQuickItem* found = item->inherits("QQuickPopupItem") ? item : nullptr;
  for (QQuickItem* child : item->childItems()) {
    if (QQuickItem* inner = open_popup(child)) found = inner;
  }
  return found;
}

}  // namespace

QStringList unnamed_controls(QQuickWindow* window) {
  QAccessible::setActive(true);
  std::vector<std::pair<QQuickItem*, QAccessibleInterface*>> controls;
  collect_controls(window->contentItem(), controls);
  QStringList out;
  for (const auto& [item, iface] : controls) {
    if (announced_name(iface).trimmed().isEmpty()) out << describe(item, iface);
  }
  return out;
}

QStringList unreachable_by_tab(QQuickWindow* window) {
  QAccessible::setActive(true);
  // Keys go to the active window only (another app window may have been shown since).
  window->requestActivate();
  if (!pump_until([&] { return window->isActive(); }, std::chrono::seconds(5))) {
    return {QStringLiteral("(the window could not be made active)")};
  }
  QQuickItem* scope = open_popup(window->contentItem());
  if (scope == nullptr) scope = window->contentItem();
  std::vector<std::pair<QQuickItem*, QAccessibleInterface*>> controls;
  collect_controls(scope, controls);
  QPointer<QQuickItem> start = window->activeFocusItem();
  std::set<QQuickItem*> reached;
  for (std::size_t i = 0; i < 2 * controls.size() + 8; ++i) {
    press_key(window, Qt::Key_Tab);
    for (QQuickItem* f = window->activeFocusItem(); f != nullptr; f = f->parentItem()) {
      reached.insert(f);
    }
  }
  if (start) start->forceActiveFocus(Qt::OtherFocusReason);
  QStringList out;
  for (const auto& [item, iface] : controls) {
    // A disabled control is skipped by Tab on purpose.
    if (item->isEnabled() && !reached.contains(item)) out << describe(item, iface);
  }
  return out;
}

QImage grab(QQuickWindow* window) {
  QTest::qWait(50);
  return window->grabWindow();
}

QImage grab_item(QQuickWindow* window, QQuickItem* item) {
  const QImage all = grab(window);
  const QRectF rect = item->mapRectToScene(QRectF(0, 0, item->width(), item->height()));
  const qreal dpr = all.devicePixelRatio();
  return all.copy(QRect(static_cast<int>(rect.x() * dpr), static_cast<int>(rect.y() * dpr),
                        static_cast<int>(rect.width() * dpr),
                        static_cast<int>(rect.height() * dpr)));
}

std::string decode_qr(const QImage& image, const std::filesystem::path& scratch) {
  const auto file = scratch / "qr.png";
  if (!image.save(QString::fromStdString(file.string()))) return {};
  QProcess zbar;
  zbar.start(QStringLiteral("zbarimg"), {QStringLiteral("--raw"), QStringLiteral("-q"),
                                         QString::fromStdString(file.string())});
  if (!zbar.waitForFinished(30000)) return {};
  return QString::fromUtf8(zbar.readAllStandardOutput()).trimmed().toStdString();
}

}  // namespace exile::test
