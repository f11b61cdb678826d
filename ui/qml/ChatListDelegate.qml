// ChatListDelegate: one chat in the list: name, verified mark, last message, time, unread count.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "Format.js" as Format

ItemDelegate {
    id: row
    required property int index
    required property var chatId
    required property string name
    required property var model // for the "state" role: an Item has a state of its own
    required property bool verified
    required property int unread
    required property string lastText
    required property string lastKind
    required property bool lastOutgoing
    required property var lastTime

    signal activated()

    objectName: "chatListItem_" + index
    highlighted: chatId === app.currentChat
    // The list is one tab stop; the arrows move within it.
    focusPolicy: Qt.NoFocus
    padding: Theme.padding
    topPadding: Theme.spacing + 2
    bottomPadding: Theme.spacing + 2
    Accessible.name: unread > 0 ? qsTr("%1, %n unread message(s)", "", unread).arg(name) : name
    onClicked: {
        ListView.view.currentIndex = index
        activated()
    }

    readonly property string preview: {
        if (lastKind === "timer")
            return qsTr("Timer changed")
        if (lastKind === "undecryptable")
            return qsTr("Undecryptable message")
        if (lastKind === "" || lastText === "") {
            if (model.state === "requested")
                return qsTr("Waiting for them to accept")
            if (model.state === "pending")
                return qsTr("Wants to chat with you")
            return qsTr("No messages yet")
        }
        // One line: the first line of the text.
        const line = lastText.replace(/\s+/g, " ")
        return lastOutgoing ? qsTr("You: %1").arg(line) : line
    }

    background: Rectangle {
        color: row.highlighted ? Theme.selected
                               : row.hovered || row.visualFocus ? Theme.hover : "transparent"
        Rectangle {
            visible: row.ListView.isCurrentItem && row.ListView.view.activeFocus
            anchors.fill: parent
            color: "transparent"
            border.color: Theme.accent
            border.width: 1
        }
    }

    contentItem: ColumnLayout {
        spacing: 2
        RowLayout {
            Layout.fillWidth: true
            spacing: 6
            NameWithMark {
                Layout.fillWidth: true
                text: row.name
                font.bold: true
                verified: row.verified
            }
            Label {
                text: Format.chatTime(row.lastTime, Qt.locale())
                font.pixelSize: Theme.smallFontSize
                color: row.unread > 0 ? Theme.accent : Theme.textMuted
            }
        }
        RowLayout {
            Layout.fillWidth: true
            spacing: 6
            Label {
                Layout.fillWidth: true
                text: row.preview
                elide: Text.ElideRight
                maximumLineCount: 1
                color: Theme.textMuted
                font.italic: row.lastKind !== "text"
            }
            Rectangle {
                objectName: "unreadBadge"
                visible: row.unread > 0
                implicitHeight: 20
                implicitWidth: Math.max(20, badgeLabel.implicitWidth + 12)
                radius: 10
                color: Theme.accent
                Label {
                    id: badgeLabel
                    anchors.centerIn: parent
                    text: row.unread > 999 ? "999+" : row.unread
                    color: Theme.textOnAccent
                    font.pixelSize: Theme.smallFontSize
                    font.bold: true
                }
            }
        }
    }
}
