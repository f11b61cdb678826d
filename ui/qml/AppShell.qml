// AppShell: every screen but the lock screen, with Qt Quick Controls. Main.qml makes it in the
// background from the start, while the user types the passphrase and Argon2id runs, so that the
// first frame does not wait for Controls (docs/performance.md, "Desktop app"). It shows one
// screen for the controller's stage through a Loader, so that nothing of an unlocked profile
// (names, text, dialogs) exists while the profile is locked; and it carries what the screens
// share: the error banner, the toast for app.notice(), the confirmation of a link the app was
// started with.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Control {
    id: shell
    objectName: "appShell"
    padding: 0
    font.pixelSize: Theme.fontSize

    readonly property int stageNoProfile: 0
    readonly property int stageLocked: 1
    readonly property int stageUnlocked: 2
    readonly property bool unlocked: app.stage === stageUnlocked

    background: Rectangle {
        color: Theme.background
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        ErrorBanner {
            id: errorBanner
            objectName: "errorBanner"
            Layout.fillWidth: true
            // The welcome and unlock screens show their error beside the passphrase.
            visible: shell.unlocked && app.error !== ""
            text: app.error
            onDismissed: app.clearError()
        }

        Loader {
            id: stageLoader
            objectName: "stageLoader"
            Layout.fillWidth: true
            Layout.fillHeight: true
            focus: true
            // Locked: nothing, but while the unlock runs the main page is made already (empty:
            // its models hold nothing until the profile is open), hidden until it is.
            asynchronous: app.stage !== shell.stageUnlocked
            visible: app.stage !== shell.stageLocked || app.busy
            sourceComponent: app.stage === shell.stageUnlocked
                             || (app.stage === shell.stageLocked && app.busy)
                             ? mainPageComponent
                             : app.stage === shell.stageNoProfile ? welcomePageComponent : null
        }
    }

    Component {
        id: welcomePageComponent
        WelcomePage {}
    }
    Component {
        id: mainPageComponent
        MainPage {}
    }

    Toast {
        id: toast
        objectName: "toast"
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 32
        z: 1001
    }

    Connections {
        target: app
        function onNotice(text) {
            toast.show(text)
        }
        function onPendingLinkChanged() {
            shell.updatePendingLinkDialog()
        }
        function onStageChanged() {
            shell.updatePendingLinkDialog()
        }
    }

    function updatePendingLinkDialog() {
        if (unlocked && app.pendingLink !== "") {
            pendingLinkLoader.active = true
            if (!pendingLinkLoader.item.opened)
                pendingLinkLoader.item.open()
        } else if (pendingLinkLoader.item && pendingLinkLoader.item.opened) {
            pendingLinkLoader.item.confirmed = true // closed by the controller: nothing to dismiss
            pendingLinkLoader.item.close()
        }
    }
    Component.onCompleted: updatePendingLinkDialog()

    // Made the first time a link needs it: nothing of it costs at start.
    Loader {
        id: pendingLinkLoader
        active: false
        sourceComponent: pendingLinkDialogComponent
    }

    // A link from the command line: starting a chat is the user's decision, never automatic.
    Component {
        id: pendingLinkDialogComponent
        ExileDialog {
            id: pendingLinkDialog
            objectName: "pendingLinkDialog"
            property bool confirmed: false
            width: Math.min(520, shell.width - 48)
            title: qsTr("Start a secret chat?")
            closePolicy: Popup.CloseOnEscape

            onOpened: confirmed = false
            onClosed: {
                if (!confirmed)
                    app.dismissPendingLink()
            }

            ColumnLayout {
                anchors.fill: parent
                spacing: Theme.spacing
                Label {
                    Layout.fillWidth: true
                    wrapMode: Text.Wrap
                    text: qsTr("Exile was opened with an invitation link. Start a new secret chat with whoever shared it?")
                }
                Label {
                    Layout.fillWidth: true
                    wrapMode: Text.WrapAnywhere
                    maximumLineCount: 3
                    elide: Text.ElideRight
                    font.family: Theme.monoFamily
                    font.pixelSize: Theme.smallFontSize
                    color: Theme.textMuted
                    text: app.pendingLink
                }
            }

            footer: DialogButtonBox {
                background: null
                padding: Theme.padding
                Button {
                    objectName: "pendingLinkConfirmButton"
                    text: qsTr("Start chat")
                    Accessible.name: text
                    highlighted: true
                    DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
                }
                Button {
                    objectName: "pendingLinkCancelButton"
                    text: qsTr("Cancel")
                    Accessible.name: text
                    DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
                }
                onAccepted: {
                    pendingLinkDialog.confirmed = true
                    app.confirmPendingLink()
                    pendingLinkDialog.close()
                }
                onRejected: pendingLinkDialog.close()
            }
        }
    }
}
