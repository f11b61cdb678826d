// WelcomePage: the first run. Creates the profile: a display name, the passphrase that encrypts
// the profile on this computer (twice), and the home relay.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Item {
    id: page
    objectName: "welcomePage"

    readonly property bool passphrasesMatch: passField.text === repeatField.text
    readonly property bool acceptable: passField.text !== "" && app.passphraseAcceptable(passField.text)
    readonly property bool canCreate: !app.busy && nameField.text.trim() !== "" && acceptable
                                      && passphrasesMatch && relayField.text.trim() !== ""

    Component.onCompleted: nameField.forceActiveFocus()

    function create() {
        if (!canCreate)
            return
        app.createProfile(nameField.text.trim(), passField.text, relayField.text.trim())
        passField.clear()
        repeatField.clear()
    }

    ScrollView {
        id: scroll
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            width: scroll.availableWidth
            spacing: 0

            Item { Layout.preferredHeight: Theme.largePadding * 2 }

            Pane {
                Layout.alignment: Qt.AlignHCenter
                Layout.preferredWidth: Math.min(Theme.formWidth + 2 * Theme.largePadding,
                                                scroll.availableWidth - 2 * Theme.padding)
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

                    Label {
                        Layout.fillWidth: true
                        text: qsTr("Welcome to Exile")
                        font.pixelSize: Theme.titleFontSize
                        font.bold: true
                        wrapMode: Text.Wrap
                    }
                    Label {
                        Layout.fillWidth: true
                        Layout.bottomMargin: Theme.spacing
                        text: qsTr("Private conversations that stay between you and the people you invite. Your profile lives on this computer only, encrypted with your passphrase.")
                        color: Theme.textMuted
                        wrapMode: Text.Wrap
                    }

                    SectionLabel { text: qsTr("Your name") }
                    TextField {
                        id: nameField
                        objectName: "welcomeNameField"
                        Layout.fillWidth: true
                        placeholderText: qsTr("How your contacts will see you")
                        Accessible.name: qsTr("Display name")
                        focus: true
                        maximumLength: 64
                        onTextEdited: app.clearError()
                        onAccepted: passField.forceActiveFocus()
                    }

                    SectionLabel { text: qsTr("Passphrase") }
                    TextField {
                        id: passField
                        objectName: "welcomePassphraseField"
                        Layout.fillWidth: true
                        echoMode: TextInput.Password
                        inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                        placeholderText: qsTr("Passphrase")
                        // Qt Quick reports no accessible name for a password edit, so the
                        // label is given as the description too: that is what is spoken.
                        Accessible.name: qsTr("Passphrase")
                        Accessible.description: qsTr("Passphrase")
                        onTextEdited: app.clearError()
                        onAccepted: repeatField.forceActiveFocus()
                    }
                    TextField {
                        id: repeatField
                        objectName: "welcomeRepeatField"
                        Layout.fillWidth: true
                        echoMode: TextInput.Password
                        inputMethodHints: Qt.ImhSensitiveData | Qt.ImhNoPredictiveText
                        placeholderText: qsTr("Repeat the passphrase")
                        Accessible.name: qsTr("Repeat the passphrase")
                        Accessible.description: qsTr("Repeat the passphrase")
                        onTextEdited: app.clearError()
                        onAccepted: page.create()
                    }
                    StrengthMeter {
                        objectName: "strengthMeter"
                        Layout.fillWidth: true
                        empty: passField.text === ""
                        strength: empty ? 0 : app.passphraseStrength(passField.text)
                    }
                    Label {
                        objectName: "welcomeHintLabel"
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        font.pixelSize: Theme.smallFontSize
                        color: Theme.danger
                        visible: text !== ""
                        text: passField.text !== "" && !page.acceptable
                              ? qsTr("This passphrase is too easy to guess.")
                              : repeatField.text !== "" && !page.passphrasesMatch
                                ? qsTr("The two passphrases differ.") : ""
                    }
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        font.pixelSize: Theme.smallFontSize
                        color: Theme.textMuted
                        text: qsTr("Nobody can recover a forgotten passphrase, not even us.")
                    }

                    SectionLabel { text: qsTr("Home relay") }
                    TextField {
                        id: relayField
                        objectName: "welcomeRelayField"
                        Layout.fillWidth: true
                        text: app.defaultRelay
                        Accessible.name: qsTr("Home relay")
                        inputMethodHints: Qt.ImhUrlCharactersOnly | Qt.ImhNoAutoUppercase
                        onAccepted: page.create()
                    }
                    Label {
                        Layout.fillWidth: true
                        wrapMode: Text.Wrap
                        font.pixelSize: Theme.smallFontSize
                        color: Theme.textMuted
                        text: qsTr("The relay holds your encrypted messages until your contacts fetch them. It never sees who you are or what you write.")
                    }

                    Label {
                        objectName: "welcomeErrorLabel"
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
                        Layout.topMargin: Theme.spacing
                        spacing: Theme.spacing
                        BusyIndicator {
                            objectName: "welcomeBusyIndicator"
                            running: app.busy
                            visible: running
                            Layout.preferredWidth: 32
                            Layout.preferredHeight: 32
                        }
                        Label {
                            Layout.fillWidth: true
                            visible: app.busy
                            text: qsTr("Creating your profile…")
                            color: Theme.textMuted
                            elide: Text.ElideRight
                        }
                        Item { Layout.fillWidth: true; visible: !app.busy }
                        Button {
                            objectName: "createProfileButton"
                            text: qsTr("Create profile")
                            Accessible.name: text
                            highlighted: true
                            enabled: page.canCreate
                            onClicked: page.create()
                        }
                    }
                }
            }

            Item { Layout.preferredHeight: Theme.largePadding * 2 }
        }
    }
}
