// MainPage: the unlocked profile. The chat list on the left, the open chat on the right, and the
// dialogs (new chat, chat info, settings). It is destroyed when the profile locks, and everything
// in it with it.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Item {
    id: page
    objectName: "mainPage"

    function openNewChat() {
        newChatPage.open()
    }
    function openSettings() {
        settingsPage.open()
    }
    function openChatInfo() {
        if (app.currentChat !== 0)
            chatInfoPage.open()
    }

    Shortcut {
        sequence: "Ctrl+N"
        onActivated: page.openNewChat()
    }
    Shortcut {
        sequence: StandardKey.Find
        onActivated: chatList.focusSearch()
    }
    Shortcut {
        sequence: "Ctrl+L"
        onActivated: app.lock()
    }

    SplitView {
        anchors.fill: parent
        orientation: Qt.Horizontal

        handle: Rectangle {
            implicitWidth: 1
            color: Theme.border
        }

        ChatListPane {
            id: chatList
            objectName: "chatListPane"
            SplitView.preferredWidth: Math.round(page.width * 0.3)
            SplitView.minimumWidth: 260
            SplitView.maximumWidth: Math.max(260, page.width * 0.5)
            onNewChatRequested: page.openNewChat()
            onSettingsRequested: page.openSettings()
            onRequestsRequested: page.openNewChat()
        }

        Item {
            SplitView.fillWidth: true
            SplitView.minimumWidth: 360

            Loader {
                id: chatLoader
                objectName: "chatViewLoader"
                anchors.fill: parent
                active: app.currentChat !== 0
                sourceComponent: ChatView {
                    onInfoRequested: page.openChatInfo()
                }
            }

            ColumnLayout {
                objectName: "noChatPlaceholder"
                anchors.centerIn: parent
                width: Math.min(parent.width - 2 * Theme.largePadding, 380)
                visible: !chatLoader.active
                spacing: Theme.spacing

                Label {
                    Layout.fillWidth: true
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.Wrap
                    text: app.chats.count > 0 ? qsTr("Choose a chat") : qsTr("No chats yet")
                    font.pixelSize: Theme.titleFontSize
                    color: Theme.text
                }
                Label {
                    Layout.fillWidth: true
                    horizontalAlignment: Text.AlignHCenter
                    wrapMode: Text.Wrap
                    color: Theme.textMuted
                    text: qsTr("Share your invitation or paste someone else's to start a secret chat.")
                }
                Button {
                    objectName: "placeholderNewChatButton"
                    Layout.alignment: Qt.AlignHCenter
                    Layout.topMargin: Theme.spacing
                    text: qsTr("New chat")
                    Accessible.name: text
                    highlighted: true
                    onClicked: page.openNewChat()
                }
            }
        }
    }

    NewChatPage {
        id: newChatPage
        objectName: "newChatPage"
    }
    ChatInfoPage {
        id: chatInfoPage
        objectName: "chatInfoPage"
    }
    SettingsPage {
        id: settingsPage
        objectName: "settingsPage"
    }

    // A chat closed under an open info page (deleted, or another opened): nothing to show.
    Connections {
        target: app
        function onCurrentChatChanged() {
            if (app.currentChat === 0)
                chatInfoPage.close()
        }
    }
}
