// SettingsPage: the language, when to lock by itself, and locking now.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

ExileDialog {
    id: dialog
    width: Math.min(460, parent.width - 48)
    height: Math.min(implicitHeight, parent.height - 48)
    title: qsTr("Settings")

    readonly property var languageValues: ["", "en", "ko"]
    readonly property var idleValues: [0, 1, 5, 15, 60]

    function sync() {
        languageBox.currentIndex = Math.max(0, languageValues.indexOf(app.language))
        idleBox.currentIndex = idleValues.indexOf(app.idleLockMinutes)
    }
    onAboutToShow: sync()

    Connections {
        target: app
        function onLanguageChanged() {
            dialog.sync()
        }
        function onIdleLockMinutesChanged() {
            dialog.sync()
        }
    }

    footer: DialogButtonBox {
        background: null
        padding: Theme.padding
        Button {
            objectName: "settingsCloseButton"
            text: qsTr("Close")
            Accessible.name: text
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        onRejected: dialog.close()
    }

    contentItem: ScrollView {
        id: scroll
        implicitHeight: grid.implicitHeight
        contentWidth: availableWidth
        clip: true

        GridLayout {
            id: grid
            width: scroll.availableWidth
            columns: 2
            columnSpacing: Theme.padding
            rowSpacing: Theme.padding

            Label {
                text: qsTr("Language")
                Layout.fillWidth: true
                wrapMode: Text.Wrap
            }
            ComboBox {
                id: languageBox
                objectName: "languageComboBox"
                Layout.preferredWidth: 200
                Accessible.name: qsTr("Language")
                // The languages name themselves.
                model: [qsTr("System"),
                    //: The English language, written in English: leave as is.
                    qsTr("English"),
                    //: The Korean language, written in Korean: leave as is.
                    qsTr("한국어")]
                onActivated: index => app.language = dialog.languageValues[index]
                // The texts follow the language: the model is rebuilt, the choice stays.
                onModelChanged: Qt.callLater(dialog.sync)
            }

            Label {
                text: qsTr("Lock after inactivity")
                Layout.fillWidth: true
                wrapMode: Text.Wrap
            }
            ComboBox {
                id: idleBox
                objectName: "idleLockComboBox"
                Layout.preferredWidth: 200
                Accessible.name: qsTr("Lock after inactivity")
                model: [qsTr("Never"), qsTr("After 1 minute"), qsTr("After 5 minutes"),
                    qsTr("After 15 minutes"), qsTr("After 1 hour")]
                onActivated: index => app.idleLockMinutes = dialog.idleValues[index]
                onModelChanged: Qt.callLater(dialog.sync)
            }

            Label {
                Layout.columnSpan: 2
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                font.pixelSize: Theme.smallFontSize
                color: Theme.textMuted
                text: qsTr("Locking closes your profile: your chats stay encrypted on disk until you enter your passphrase again.")
            }
            Button {
                objectName: "lockNowButton"
                Layout.columnSpan: 2
                text: qsTr("Lock now")
                Accessible.name: text
                onClicked: {
                    dialog.close()
                    app.lock()
                }
            }
        }
    }
}
