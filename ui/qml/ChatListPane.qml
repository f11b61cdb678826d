// ChatListPane: who I am and whether the relays answer; the search; the contact requests; and
// every chat, newest activity first.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Rectangle {
    id: pane
    color: Theme.sidebar

    signal newChatRequested()
    signal settingsRequested()
    signal requestsRequested()

    function focusSearch() {
        searchField.forceActiveFocus()
        searchField.selectAll()
    }

    readonly property color relayColor: app.relaysTotal === 0 || app.relaysConnected === 0
                                        ? Theme.danger
                                        : app.relaysConnected < app.relaysTotal ? Theme.warning
                                                                                : Theme.success

    // The main screen is made while the unlock runs (Main.qml). One row made and dropped then
    // compiles the row's type and loads its fonts, so that the screenful the list makes when the
    // chats arrive costs the rows alone.
    Component.onCompleted: {
        const row = rowComponent.createObject(null, {
            index: -1, chatId: 0, name: "Aa", model: ({ state: "active" }), verified: false,
            unread: 1, lastText: "Aa", lastKind: "text", lastOutgoing: false,
            lastTime: new Date()
        })
        if (row)
            row.destroy()
    }
    Component {
        id: rowComponent
        ChatListDelegate {}
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // Header: name, relay status, actions.
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: Theme.padding
            Layout.bottomMargin: Theme.spacing
            spacing: Theme.spacing

            Rectangle {
                id: relayDot
                objectName: "relayStatusDot"
                implicitWidth: 10
                implicitHeight: 10
                radius: 5
                color: pane.relayColor
                Accessible.role: Accessible.Indicator
                Accessible.name: relayTip.text
                HoverHandler { id: relayHover }
                ToolTip {
                    id: relayTip
                    visible: relayHover.hovered
                    delay: 300
                    text: app.relaysTotal === 0
                          ? qsTr("No relay configured")
                          : qsTr("Connected to %1 of %2 relays").arg(app.relaysConnected).arg(app.relaysTotal)
                }
            }
            Label {
                objectName: "displayNameLabel"
                Layout.fillWidth: true
                text: app.displayName
                font.pixelSize: Theme.headerFontSize
                font.bold: true
                elide: Text.ElideRight
            }
            ToolButton {
                objectName: "newChatButton"
                text: "\u270E"
                font.family: "DejaVu Sans"
                font.pixelSize: 18
                Accessible.name: qsTr("New chat")
                ToolTip.visible: hovered
                ToolTip.delay: 500
                ToolTip.text: qsTr("New chat (Ctrl+N)")
                onClicked: pane.newChatRequested()
            }
            ToolButton {
                objectName: "settingsButton"
                text: "\u2699"
                font.family: "DejaVu Sans"
                font.pixelSize: 18
                Accessible.name: qsTr("Settings")
                ToolTip.visible: hovered
                ToolTip.delay: 500
                ToolTip.text: qsTr("Settings")
                onClicked: pane.settingsRequested()
            }
            ToolButton {
                id: lockButton
                objectName: "lockButton"
                Accessible.name: qsTr("Lock")
                ToolTip.visible: hovered
                ToolTip.delay: 500
                ToolTip.text: qsTr("Lock (Ctrl+L)")
                contentItem: Item {
                    implicitWidth: 18
                    implicitHeight: 18
                    LockIcon {
                        anchors.centerIn: parent
                        width: 13
                        height: 16
                        color: Theme.text
                    }
                }
                onClicked: app.lock()
            }
        }

        TextField {
            id: searchField
            objectName: "searchField"
            Layout.fillWidth: true
            Layout.leftMargin: Theme.padding
            Layout.rightMargin: Theme.padding
            Layout.bottomMargin: Theme.spacing
            placeholderText: qsTr("Search (Ctrl+F)")
            Accessible.name: qsTr("Search chats and messages")
            text: app.searchText
            onTextEdited: app.searchText = text
            Keys.onEscapePressed: event => {
                if (text !== "") {
                    app.searchText = ""
                    event.accepted = true
                } else {
                    event.accepted = false
                }
            }
            Keys.onDownPressed: chatListView.forceActiveFocus()
        }

        ItemDelegate {
            id: requestsEntry
            objectName: "requestsEntry"
            Layout.fillWidth: true
            visible: app.requests.count > 0
            text: qsTr("Contact requests (%1)").arg(app.requests.count)
            Accessible.name: text
            font.bold: true
            leftPadding: Theme.padding
            rightPadding: Theme.padding
            background: Rectangle {
                color: requestsEntry.hovered || requestsEntry.visualFocus ? Theme.selected
                                                                          : Theme.accentMuted
            }
            onClicked: pane.requestsRequested()
        }

        ListView {
            id: chatListView
            objectName: "chatListView"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: app.chats
            activeFocusOnTab: true
            keyNavigationEnabled: true
            boundsBehavior: Flickable.StopAtBounds
            Accessible.role: Accessible.List
            Accessible.name: qsTr("Chats")
            ScrollBar.vertical: ScrollBar {}

            delegate: ChatListDelegate {
                width: chatListView.width
                onActivated: app.openChat(chatId)
            }

            // A refreshed list has no current row; the first is current when the list takes
            // the focus, so that Return opens a chat without a Down first.
            onActiveFocusChanged: {
                if (activeFocus && currentIndex < 0 && count > 0)
                    currentIndex = 0
            }
            Keys.onReturnPressed: {
                if (currentItem)
                    app.openChat(currentItem.chatId)
            }
            Keys.onEnterPressed: {
                if (currentItem)
                    app.openChat(currentItem.chatId)
            }

            Label {
                objectName: "chatListEmptyLabel"
                anchors.centerIn: parent
                width: parent.width - 2 * Theme.largePadding
                horizontalAlignment: Text.AlignHCenter
                wrapMode: Text.Wrap
                visible: chatListView.count === 0
                color: Theme.textMuted
                text: app.searchText !== "" ? qsTr("Nothing found") : qsTr("No chats yet")
            }
        }
    }
}
