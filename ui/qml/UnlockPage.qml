// UnlockPage: the profile is locked; its passphrase opens it. Nothing of the profile shows here.
// Plain Qt Quick, no Controls: it is the first screen of every start, and it shows before Qt Quick
// Controls has loaded (Main.qml; docs/performance.md, "Desktop app").
import QtQuick

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
        contentHeight: Math.max(height, card.height + 2 * Theme.largePadding)
        boundsBehavior: Flickable.StopAtBounds
        clip: true

        Item {
            width: scroll.width
            height: scroll.contentHeight

            Rectangle {
                id: card
                anchors.centerIn: parent
                width: Math.min(Theme.formWidth, parent.width - 2 * Theme.padding)
                height: column.implicitHeight + 2 * Theme.largePadding
                color: Theme.surface
                radius: Theme.radius
                border.color: Theme.border

                Column {
                    id: column
                    x: Theme.largePadding
                    y: Theme.largePadding
                    width: card.width - 2 * Theme.largePadding
                    spacing: Theme.spacing

                    LockIcon {
                        anchors.horizontalCenter: parent.horizontalCenter
                        width: 36
                        height: 44
                        color: Theme.accent
                    }
                    Text {
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        text: qsTr("Exile is locked")
                        color: Theme.text
                        font.pixelSize: Theme.titleFontSize
                        font.bold: true
                        wrapMode: Text.Wrap
                    }
                    Text {
                        width: parent.width
                        horizontalAlignment: Text.AlignHCenter
                        text: qsTr("Enter your passphrase to open your chats.")
                        color: Theme.textMuted
                        font.pixelSize: Theme.fontSize
                        wrapMode: Text.Wrap
                    }
                    Item { width: 1; height: Theme.spacing / 2 }
                    Rectangle {
                        width: parent.width
                        height: 36
                        radius: 4
                        color: passField.enabled ? Theme.surface : Theme.background
                        border.color: passField.activeFocus ? Theme.accent : Theme.border
                        border.width: passField.activeFocus ? 2 : 1

                        TextInput {
                            id: passField
                            objectName: "unlockPassphraseField"
                            anchors.fill: parent
                            anchors.leftMargin: 10
                            anchors.rightMargin: 10
                            verticalAlignment: TextInput.AlignVCenter
                            echoMode: TextInput.Password
                            inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                            font.pixelSize: Theme.fontSize
                            color: Theme.text
                            selectByMouse: true
                            clip: true
                            enabled: !app.busy
                            focus: true
                            activeFocusOnTab: true
                            Accessible.role: Accessible.EditableText
                            // Qt Quick reports no accessible name for a password edit, so the
                            // label is given as the description too: that is what is spoken.
                            Accessible.name: qsTr("Passphrase")
                            Accessible.description: qsTr("Passphrase")
                            Accessible.passwordEdit: true
                            onTextEdited: app.clearError()
                            onAccepted: page.unlock()
                        }
                        Text {
                            anchors.fill: passField
                            verticalAlignment: Text.AlignVCenter
                            visible: passField.text === "" && !passField.inputMethodComposing
                            text: qsTr("Passphrase")
                            color: Theme.textMuted
                            font.pixelSize: Theme.fontSize
                        }
                    }
                    Text {
                        objectName: "unlockErrorLabel"
                        width: parent.width
                        visible: app.error !== ""
                        text: app.error
                        color: Theme.danger
                        font.pixelSize: Theme.fontSize
                        wrapMode: Text.Wrap
                        Accessible.role: Accessible.AlertMessage
                        Accessible.name: text
                    }
                    Item {
                        width: parent.width
                        height: 36

                        Rectangle {
                            id: busyIndicator
                            objectName: "unlockBusyIndicator"
                            anchors.verticalCenter: parent.verticalCenter
                            width: 24
                            height: 24
                            radius: 12
                            color: "transparent"
                            border.color: Theme.accent
                            border.width: 3
                            visible: app.busy
                            Rectangle {  // the gap that turns
                                width: 10
                                height: 10
                                color: Theme.surface
                                anchors.top: parent.top
                                anchors.right: parent.right
                            }
                            RotationAnimator on rotation {
                                from: 0
                                to: 360
                                duration: 900
                                loops: Animation.Infinite
                                running: busyIndicator.visible
                            }
                        }
                        Text {
                            anchors.left: busyIndicator.right
                            anchors.leftMargin: Theme.spacing
                            anchors.right: unlockButton.left
                            anchors.verticalCenter: parent.verticalCenter
                            visible: app.busy
                            text: qsTr("Unlocking…")
                            color: Theme.textMuted
                            font.pixelSize: Theme.fontSize
                            elide: Text.ElideRight
                        }
                        Rectangle {
                            id: unlockButton
                            objectName: "unlockButton"
                            readonly property bool enabledNow: !app.busy && passField.text !== ""
                            anchors.right: parent.right
                            anchors.verticalCenter: parent.verticalCenter
                            width: buttonText.implicitWidth + 32
                            height: 32
                            radius: 4
                            color: enabledNow ? (buttonArea.pressed ? Qt.darker(Theme.accent, 1.2) : Theme.accent)
                                              : Theme.hover
                            border.color: activeFocus ? Theme.text : "transparent"
                            activeFocusOnTab: true
                            Accessible.role: Accessible.Button
                            Accessible.name: buttonText.text
                            Accessible.onPressAction: page.unlock()
                            Keys.onReturnPressed: page.unlock()
                            Keys.onEnterPressed: page.unlock()
                            Keys.onSpacePressed: page.unlock()
                            Text {
                                id: buttonText
                                anchors.centerIn: parent
                                text: qsTr("Unlock")
                                color: unlockButton.enabledNow ? Theme.textOnAccent : Theme.textMuted
                                font.pixelSize: Theme.fontSize
                            }
                            MouseArea {
                                id: buttonArea
                                anchors.fill: parent
                                enabled: unlockButton.enabledNow
                                cursorShape: Qt.PointingHandCursor
                                onClicked: page.unlock()
                            }
                        }
                    }
                }
            }
        }
    }
}
