// MessageDelegate: one row of the chat. A day separator above the oldest message of each day;
// then a bubble (ours on the right in the accent colour, theirs on the left), or a centred system
// line for a timer change or a message that could not be decrypted. Right click or the Menu key
// opens Copy and "Delete for both".
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "Format.js" as Format

FocusScope {
    id: row
    required property int index
    required property var messageId
    required property string text
    required property bool outgoing
    required property var model // for the "state" role: an Item has a state of its own
    required property string kind
    required property int timerSeconds
    required property var sentAt
    required property var expiresAt
    required property string dayLabel

    property date now: new Date()
    property var timerChoices: []

    readonly property string messageState: model.state
    readonly property bool isText: kind === "text"
    readonly property bool failed: messageState === "failed"
    readonly property bool hasCountdown: Format.isValidDate(expiresAt)
    readonly property string countdownText: hasCountdown
                                            ? Format.countdown(expiresAt.getTime() - now.getTime()) : ""

    objectName: "messageItem_" + index
    implicitHeight: column.implicitHeight
    activeFocusOnTab: false

    Accessible.role: Accessible.ListItem
    Accessible.name: {
        if (kind === "timer")
            return systemLabel.text
        if (kind === "undecryptable")
            return systemLabel.text
        return (outgoing ? qsTr("You: %1") : qsTr("Them: %1")).arg(text)
    }

    function openMenu(x, y) {
        if (!isText)
            return
        menu.selection = body.selectedText
        menu.popup(bubble, x !== undefined ? x : bubble.width / 2, y !== undefined ? y : bubble.height / 2)
    }

    function copyText() {
        app.copyToClipboard(menu.selection !== "" ? menu.selection : row.text)
    }

    ColumnLayout {
        id: column
        width: parent.width
        spacing: 4

        // Day separator
        Label {
            objectName: "daySeparator"
            visible: row.dayLabel !== ""
            Layout.alignment: Qt.AlignHCenter
            Layout.topMargin: Theme.padding
            Layout.bottomMargin: Theme.spacing
            Layout.maximumWidth: row.width - 2 * Theme.largePadding
            text: row.dayLabel
            elide: Text.ElideRight
            font.pixelSize: Theme.smallFontSize
            color: Theme.textMuted
            leftPadding: 10
            rightPadding: 10
            topPadding: 3
            bottomPadding: 3
            background: Rectangle {
                radius: height / 2
                color: Theme.hover
            }
        }

        // System line: timer change or undecryptable
        Label {
            id: systemLabel
            objectName: "systemLine"
            visible: !row.isText
            Layout.alignment: Qt.AlignHCenter
            Layout.maximumWidth: row.width - 2 * Theme.largePadding
            Layout.topMargin: 4
            Layout.bottomMargin: 4
            horizontalAlignment: Text.AlignHCenter
            wrapMode: Text.Wrap
            font.pixelSize: Theme.smallFontSize
            font.italic: row.kind === "undecryptable"
            color: row.kind === "undecryptable" ? Theme.danger : Theme.textMuted
            text: row.kind === "undecryptable"
                  ? qsTr("This message could not be decrypted")
                  : row.timerSeconds > 0
                    ? qsTr("Self-destruct timer set to %1").arg(Format.timerLabel(row.timerSeconds, row.timerChoices))
                    : qsTr("Self-destruct timer off")
        }

        // Bubble
        Rectangle {
            id: bubble
            objectName: "messageBubble"
            visible: row.isText
            Layout.alignment: row.outgoing ? Qt.AlignRight : Qt.AlignLeft
            Layout.leftMargin: Theme.largePadding
            Layout.rightMargin: Theme.largePadding
            Layout.maximumWidth: Math.max(200, row.width * 0.7)
            implicitWidth: Math.max(body.implicitWidth, metaRow.implicitWidth) + 2 * Theme.padding
            implicitHeight: bubbleColumn.implicitHeight + 2 * Theme.spacing
            radius: Theme.bubbleRadius
            color: row.outgoing ? Theme.outgoingBubble : Theme.incomingBubble
            border.color: row.ListView.isCurrentItem && row.ListView.view.activeFocus
                          ? Theme.accent : row.outgoing ? "transparent" : Theme.border
            border.width: row.ListView.isCurrentItem && row.ListView.view.activeFocus ? 2 : 1

            ColumnLayout {
                id: bubbleColumn
                anchors.fill: parent
                anchors.leftMargin: Theme.padding
                anchors.rightMargin: Theme.padding
                anchors.topMargin: Theme.spacing
                anchors.bottomMargin: Theme.spacing
                spacing: 2

                TextEdit {
                    id: body
                    objectName: "messageText"
                    Layout.fillWidth: true
                    text: row.text
                    textFormat: TextEdit.PlainText
                    readOnly: true
                    selectByMouse: true
                    persistentSelection: true
                    activeFocusOnPress: true
                    wrapMode: TextEdit.Wrap
                    color: row.outgoing ? Theme.outgoingText : Theme.incomingText
                    selectionColor: row.outgoing ? "#1c4fa8" : Theme.selected
                    selectedTextColor: row.outgoing ? "white" : Theme.text
                    font.family: Theme.fontFamily
                    font.pixelSize: Theme.fontSize
                    Accessible.role: Accessible.StaticText
                    Accessible.name: row.text
                    Keys.onMenuPressed: row.openMenu()
                }

                RowLayout {
                    id: metaRow
                    Layout.alignment: Qt.AlignRight
                    spacing: 6

                    Label {
                        objectName: "countdownLabel"
                        visible: row.hasCountdown
                        text: "\u25F7 " + row.countdownText
                        font.pixelSize: Theme.smallFontSize - 1
                        color: row.outgoing ? Theme.outgoingMuted : Theme.warning
                        Accessible.name: qsTr("Disappears in %1").arg(row.countdownText)
                    }
                    Label {
                        text: Format.messageTime(row.sentAt)
                        font.pixelSize: Theme.smallFontSize - 1
                        color: row.outgoing ? Theme.outgoingMuted : Theme.textMuted
                    }
                    Label {
                        objectName: "deliveryTicks"
                        visible: row.outgoing && !row.failed
                        font.family: "DejaVu Sans"
                        font.pixelSize: Theme.smallFontSize
                        color: row.messageState === "read" ? Theme.readTick : Theme.outgoingMuted
                        text: row.messageState === "queued" ? "\u25F7"
                              : row.messageState === "sent" ? "\u2713"
                              : "\u2713\u2713"
                        Accessible.name: row.messageState === "queued" ? qsTr("Waiting to send")
                                         : row.messageState === "sent" ? qsTr("Sent")
                                         : row.messageState === "delivered" ? qsTr("Delivered")
                                         : qsTr("Read")
                        ToolTip.visible: ticksHover.hovered
                        ToolTip.text: Accessible.name
                        ToolTip.delay: 500
                        HoverHandler { id: ticksHover }
                    }
                }
            }

            // Right click opens the menu; the left button stays with the text for selecting.
            MouseArea {
                anchors.fill: parent
                acceptedButtons: Qt.RightButton
                onClicked: mouse => row.openMenu(mouse.x, mouse.y)
            }
        }

        // Failed: a red mark and Retry, under the bubble.
        RowLayout {
            objectName: "failedRow"
            visible: row.isText && row.outgoing && row.failed
            Layout.alignment: Qt.AlignRight
            Layout.rightMargin: Theme.largePadding
            spacing: Theme.spacing
            Rectangle {
                implicitWidth: 16
                implicitHeight: 16
                radius: 8
                color: Theme.danger
                Text {
                    anchors.centerIn: parent
                    text: "!"
                    color: "white"
                    font.bold: true
                    font.pixelSize: 11
                }
            }
            Label {
                text: qsTr("Not sent")
                color: Theme.danger
                font.pixelSize: Theme.smallFontSize
            }
            Button {
                objectName: "retryButton"
                text: qsTr("Retry")
                Accessible.name: qsTr("Send this message again")
                flat: true
                font.pixelSize: Theme.smallFontSize
                onClicked: app.retry(row.messageId)
            }
        }
    }

    Menu {
        id: menu
        objectName: "messageMenu"
        font.pixelSize: Theme.fontSize
        property string selection: ""
        MenuItem {
            objectName: "copyMenuItem"
            text: menu.selection !== "" ? qsTr("Copy selection") : qsTr("Copy")
            Accessible.name: text
            onTriggered: row.copyText()
        }
        MenuItem {
            objectName: "deleteForBothMenuItem"
            text: qsTr("Delete for both")
            Accessible.name: text
            onTriggered: app.deleteForBoth(row.messageId)
        }
    }
}
