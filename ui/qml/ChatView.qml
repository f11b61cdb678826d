// ChatView: the open chat. A header (name, verified mark, self-destruct timer, typing), the
// messages newest at the bottom, and the composer. It marks the chat read while the window is
// active: when it opens, when messages arrive and when the window becomes active.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import "Format.js" as Format

Rectangle {
    id: view
    objectName: "chatView"
    color: Theme.background

    signal infoRequested()

    readonly property var info: app.currentChatInfo
    readonly property int timerSeconds: info.timerSeconds !== undefined ? info.timerSeconds : 0
    readonly property var timerChoices: app.timerChoices

    // One clock for every countdown in the view.
    property date now: new Date()
    Timer {
        interval: 1000
        repeat: true
        running: true
        onTriggered: view.now = new Date()
    }

    function markReadIfActive() {
        if (Window.window && Window.window.active && app.currentChat !== 0)
            app.markRead()
    }

    Component.onCompleted: {
        markReadIfActive()
        composer.focusInput()
    }
    Connections {
        target: app
        function onCurrentChatChanged() {
            composer.reset()
            view.markReadIfActive()
            messageList.positionViewAtBeginning()
        }
    }
    Connections {
        target: app.messages
        function onCountChanged() {
            view.markReadIfActive()
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // Header
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: headerRow.implicitHeight + 2 * Theme.spacing
            color: Theme.surface

            Rectangle {
                anchors.bottom: parent.bottom
                width: parent.width
                height: 1
                color: Theme.border
            }

            RowLayout {
                id: headerRow
                anchors.fill: parent
                anchors.leftMargin: Theme.largePadding
                anchors.rightMargin: Theme.padding
                spacing: Theme.spacing

                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 0
                    NameWithMark {
                        objectName: "chatTitleLabel"
                        Layout.fillWidth: true
                        text: view.info.name !== undefined ? view.info.name : ""
                        font.pixelSize: Theme.headerFontSize
                        font.bold: true
                        verified: view.info.verified === true
                    }
                    Label {
                        objectName: "chatSubtitleLabel"
                        Layout.fillWidth: true
                        elide: Text.ElideRight
                        font.pixelSize: Theme.smallFontSize
                        color: view.info.typing === true ? Theme.accent : Theme.textMuted
                        text: view.info.typing === true ? qsTr("typing…")
                              : view.info.state === "requested" ? qsTr("Invitation sent: waiting for them to accept")
                              : view.info.verified === true ? qsTr("Verified secret chat")
                              : qsTr("Secret chat: not verified yet")
                    }
                }

                Rectangle {
                    objectName: "chatTimerChip"
                    visible: view.timerSeconds > 0
                    radius: height / 2
                    color: Theme.accentMuted
                    implicitHeight: timerRow.implicitHeight + 8
                    implicitWidth: timerRow.implicitWidth + 16
                    Accessible.role: Accessible.StaticText
                    Accessible.name: qsTr("Self-destruct timer: %1").arg(timerLabel.text)
                    RowLayout {
                        id: timerRow
                        anchors.centerIn: parent
                        spacing: 4
                        Text {
                            text: "\u25F7"
                            font.family: "DejaVu Sans"
                            font.pixelSize: Theme.fontSize
                            color: Theme.accent
                        }
                        Label {
                            id: timerLabel
                            text: Format.timerLabel(view.timerSeconds, app.timerChoices)
                            font.pixelSize: Theme.smallFontSize
                            color: Theme.accent
                        }
                    }
                }

                ToolButton {
                    objectName: "chatInfoButton"
                    Accessible.name: qsTr("Chat info and verification")
                    ToolTip.visible: hovered
                    ToolTip.delay: 500
                    ToolTip.text: qsTr("Chat info and verification")
                    onClicked: view.infoRequested()
                    contentItem: Item {
                        implicitWidth: 22
                        implicitHeight: 22
                        Rectangle {
                            anchors.centerIn: parent
                            width: 20
                            height: 20
                            radius: 10
                            color: "transparent"
                            border.color: Theme.text
                            border.width: 1.5
                            Text {
                                anchors.centerIn: parent
                                text: "i"
                                font.family: "DejaVu Sans"
                                font.bold: true
                                font.pixelSize: 13
                                color: Theme.text
                            }
                        }
                    }
                }
            }
        }

        // Messages
        ListView {
            id: messageList
            objectName: "messageListView"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: app.messages
            verticalLayoutDirection: ListView.BottomToTop
            spacing: 2
            activeFocusOnTab: true
            keyNavigationEnabled: true
            currentIndex: -1
            boundsBehavior: Flickable.StopAtBounds
            topMargin: Theme.padding
            bottomMargin: Theme.padding
            Accessible.role: Accessible.List
            Accessible.name: qsTr("Messages")
            ScrollBar.vertical: ScrollBar {}

            // Stay with the newest message while the user reads there.
            property bool atNewest: true
            onMovementEnded: atNewest = atYEnd
            onCountChanged: {
                if (atNewest)
                    positionViewAtBeginning()
            }

            delegate: MessageDelegate {
                width: messageList.width
                now: view.now
                timerChoices: view.timerChoices
            }

            Keys.onMenuPressed: {
                if (currentItem)
                    currentItem.openMenu()
            }

            Label {
                objectName: "emptyChatLabel"
                anchors.centerIn: parent
                width: parent.width - 2 * Theme.largePadding
                visible: messageList.count === 0 && !app.messages.loading
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                color: Theme.textMuted
                text: qsTr("No messages yet. Messages in this chat are end-to-end encrypted.")
            }
            BusyIndicator {
                anchors.horizontalCenter: parent.horizontalCenter
                anchors.top: parent.top
                anchors.topMargin: Theme.spacing
                running: app.messages.loading
                visible: running
            }
        }

        Composer {
            id: composer
            objectName: "composer"
            Layout.fillWidth: true
        }
    }
}
