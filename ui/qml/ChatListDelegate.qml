// ChatListDelegate: one chat in the list: name, verified mark, last message, time, unread count.
// Plain Qt Quick placed by anchors, without Controls or layouts: when the profile opens, the list
// makes a screenful of these on the way to the chat list's first frame, and an ItemDelegate with
// two row layouts cost three times as much (docs/performance.md, "Desktop app").
import QtQuick
import "Format.js" as Format

Item {
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

    readonly property bool highlighted: chatId === app.currentChat
    readonly property bool hovered: pointer.containsMouse
    readonly property int topPadding: Theme.spacing + 2

    objectName: "chatListItem_" + index
    implicitHeight: topPadding + nameText.height + 2 + Math.max(previewText.height, badge.visible ? badge.height : 0)
                    + topPadding

    Accessible.role: Accessible.ListItem
    Accessible.name: unread > 0 ? qsTr("%1, %n unread message(s)", "", unread).arg(name) : name
    Accessible.selected: highlighted
    Accessible.onPressAction: activate()

    function activate() {
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
        // lastText is one line already (ChatListModel).
        return lastOutgoing ? qsTr("You: %1").arg(lastText) : lastText
    }

    // The background, framed while the row is the list's current item and the list has focus.
    Rectangle {
        anchors.fill: parent
        color: row.highlighted ? Theme.selected : row.hovered ? Theme.hover : "transparent"
        border.color: Theme.accent
        border.width: row.ListView.isCurrentItem && row.ListView.view.activeFocus ? 1 : 0
    }

    Text {
        id: timeText
        anchors.right: parent.right
        anchors.rightMargin: Theme.padding
        anchors.verticalCenter: nameText.verticalCenter
        text: Format.chatTime(row.lastTime, Qt.locale())
        font.pixelSize: Theme.smallFontSize
        color: row.unread > 0 ? Theme.accent : Theme.textMuted
    }
    Text {
        id: nameText
        x: Theme.padding
        y: row.topPadding
        // Elided before the time, leaving room for the verified mark right after the name.
        width: Math.min(implicitWidth,
                        timeText.x - 6 - x - (row.verified ? markLoader.width + 6 : 0))
        text: row.name
        elide: Text.ElideRight
        maximumLineCount: 1
        font.pixelSize: Theme.fontSize
        font.bold: true
        color: Theme.text
    }
    Loader {
        id: markLoader
        active: row.verified
        width: 14
        height: 14
        x: nameText.x + nameText.width + 6
        anchors.verticalCenter: nameText.verticalCenter
        sourceComponent: VerifiedMark {}
    }

    Text {
        id: previewText
        x: Theme.padding
        anchors.top: nameText.bottom
        anchors.topMargin: 2
        width: (badge.visible ? badge.x - 6 : row.width - Theme.padding) - x
        text: row.preview
        elide: Text.ElideRight
        maximumLineCount: 1
        font.pixelSize: Theme.fontSize
        font.italic: row.lastKind !== "text"
        color: Theme.textMuted
    }
    Rectangle {
        id: badge
        objectName: "unreadBadge"
        visible: row.unread > 0
        anchors.right: parent.right
        anchors.rightMargin: Theme.padding
        anchors.verticalCenter: previewText.verticalCenter
        height: 20
        width: Math.max(20, badgeText.implicitWidth + 12)
        radius: 10
        color: Theme.accent
        Text {
            id: badgeText
            anchors.centerIn: parent
            text: row.unread > 999 ? "999+" : row.unread
            color: Theme.textOnAccent
            font.pixelSize: Theme.smallFontSize
            font.bold: true
        }
    }

    MouseArea {
        id: pointer
        anchors.fill: parent
        hoverEnabled: true
        onClicked: row.activate()
    }
}
