// Main: the window. It shows one screen for the controller's stage (app.stage: 0 NoProfile,
// 1 Locked, 2 Unlocked) through a Loader, so that nothing of an unlocked profile (names, text,
// dialogs) exists while the profile is locked. It also carries what every screen shares: the
// error banner, the toast for app.notice(), the confirmation of a link the app was started with,
// and the report of user input that keeps the idle lock away.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

ApplicationWindow {
    id: window
    objectName: "mainWindow"
    width: 1280
    height: 800
    minimumWidth: 800
    minimumHeight: 600
    visible: true
    title: qsTr("Exile")
    color: Theme.background
    font.pixelSize: Theme.fontSize

    readonly property int stageNoProfile: 0
    readonly property int stageLocked: 1
    readonly property int stageUnlocked: 2
    readonly property bool unlocked: app.stage === stageUnlocked

    // Reports input to the controller, at most twice a second (pointer motion is frequent).
    property double lastActivity: 0
    function reportActivity() {
        const now = Date.now()
        if (now - lastActivity < 500)
            return
        lastActivity = now
        app.userActive()
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        ErrorBanner {
            id: errorBanner
            objectName: "errorBanner"
            Layout.fillWidth: true
            // The welcome and unlock screens show their error beside the passphrase.
            visible: window.unlocked && app.error !== ""
            text: app.error
            onDismissed: app.clearError()
        }

        Loader {
            id: stageLoader
            objectName: "stageLoader"
            Layout.fillWidth: true
            Layout.fillHeight: true
            focus: true
            sourceComponent: app.stage === window.stageUnlocked
                             ? mainPageComponent
                             : app.stage === window.stageLocked ? unlockPageComponent
                                                                : welcomePageComponent
        }
    }

    Component {
        id: welcomePageComponent
        WelcomePage {}
    }
    Component {
        id: unlockPageComponent
        UnlockPage {}
    }
    Component {
        id: mainPageComponent
        MainPage {}
    }

    // Presses and wheel turns anywhere count as activity; the events go on to the items below.
    MouseArea {
        anchors.fill: parent
        z: 1000
        acceptedButtons: Qt.AllButtons
        propagateComposedEvents: true
        onPressed: mouse => {
            window.reportActivity()
            mouse.accepted = false
        }
        onWheel: wheel => {
            window.reportActivity()
            wheel.accepted = false
        }
    }
    HoverHandler {
        onPointChanged: window.reportActivity()
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
            window.updatePendingLinkDialog()
        }
        function onStageChanged() {
            window.updatePendingLinkDialog()
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
            width: Math.min(520, window.width - 48)
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
