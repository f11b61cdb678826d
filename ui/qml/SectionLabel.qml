// SectionLabel: the small heading above a field or a group.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Label {
    Layout.fillWidth: true
    Layout.topMargin: Theme.spacing
    font.pixelSize: Theme.smallFontSize
    font.bold: true
    color: Theme.textMuted
    wrapMode: Text.Wrap
}
