// UnlockPage: the profile is locked; its passphrase opens it. Nothing of the profile shows here.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Item {
    id: page
    objectName: "unlockPage"

    function unlock() {
        if (app.busy || passField.text === "")
            return
        app.unlock(passField.text)
        passField.clear()
    }

    Component.onCompleted: passField.forceActiveFocus()

    Flickable {
        id: scroll
        anchors.fill: parent
        contentWidth: width
        contentHeight: Math.max(height, card.implicitHeight + 2 * Theme.largePadding)
        boundsBehavior: Flickable.StopAtBounds
        ScrollBar.vertical: ScrollBar {}

        Item {
            width: scroll.width
            height: scroll.contentHeight

            Pane {
                id: card
                anchors.centerIn: parent
                width: Math.min(Theme.formWidth, parent.width - 2 * Theme.padding)
                padding: Theme.largePadding
                background: Rectangle {
                    color: Theme.surface
                    radius: Theme.radius
                    border.color: Theme.border
                }

                ColumnLayout {
                    anchors.left: parent.left
                    anchors.right: parent.right
                    spacing: Theme.spacing

                    LockIcon {
                        Layout.alignment: Qt.AlignHCenter
                        implicitWidth: 36
                        implicitHeight: 44
                        color: Theme.accent
                    }
                    Label {
                        Layout.fillWidth: true
                        horizontalAlignment: Text.AlignHCenter
                        text: qsTr("Exile is locked")
                        font.pixelSize: Theme.titleFontSize
                        font.bold: true
                        wrapMode: Text.Wrap
                    }
                    Label {
                        Layout.fillWidth: true
                        horizontalAlignment: Text.AlignHCenter
                        text: qsTr("Enter your passphrase to open your chats.")
                        color: Theme.textMuted
                        wrapMode: Text.Wrap
                    }
                    TextField {
                        id: passField
                        objectName: "unlockPassphraseField"
                        Layout.fillWidth: true
                        Layout.topMargin: Theme.spacing
                        echoMode: TextInput.Password
                        inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                        placeholderText: qsTr("Passphrase")
                        Accessible.name: qsTr("Passphrase")
                        enabled: !app.busy
                        focus: true
                        onTextEdited: app.clearError()
                        onAccepted: page.unlock()
                    }
                    Label {
                        objectName: "unlockErrorLabel"
                        Layout.fillWidth: true
                        visible: app.error !== ""
                        text: app.error
                        color: Theme.danger
                        wrapMode: Text.Wrap
                        Accessible.role: Accessible.AlertMessage
                        Accessible.name: text
                    }
                    RowLayout {
                        Layout.fillWidth: true
                        spacing: Theme.spacing
                        BusyIndicator {
                            objectName: "unlockBusyIndicator"
                            running: app.busy
                            visible: running
                            Layout.preferredWidth: 32
                            Layout.preferredHeight: 32
                        }
                        Label {
                            Layout.fillWidth: true
                            visible: app.busy
                            text: qsTr("Unlocking…")
                            color: Theme.textMuted
                            elide: Text.ElideRight
                        }
                        Item { Layout.fillWidth: true; visible: !app.busy }
                        Button {
                            objectName: "unlockButton"
                            text: qsTr("Unlock")
                            Accessible.name: text
                            highlighted: true
                            enabled: !app.busy && passField.text !== ""
                            onClicked: page.unlock()
                        }
                    }
                }
            }
        }
    }
}
