// Main: the window. Plain Qt Quick, so that its first frame does not wait for Qt Quick Controls:
// while the profile is locked it shows the lock screen (UnlockPage, plain Qt Quick too), and it
// makes everything else (AppShell.qml: the welcome and main screens, dialogs, banner and toast,
// all with Controls) in the background from the start, shown once there is no lock screen.
// The controller's stage is app.stage: 0 NoProfile, 1 Locked, 2 Unlocked. It also reports the
// user's input that keeps the idle lock away.
import QtQuick
import QtQuick.Window

Window {
    id: window
    objectName: "mainWindow"
    width: 1280
    height: 800
    minimumWidth: 800
    minimumHeight: 600
    visible: true
    title: qsTr("Exile")
    color: Theme.background

    readonly property int stageLocked: 1

    // Reports input to the controller, at most twice a second (pointer motion is frequent).
    property double lastActivity: 0
    function reportActivity() {
        const now = Date.now()
        if (now - lastActivity < 500)
            return
        lastActivity = now
        app.userActive()
    }

    Loader {
        id: shellLoader
        objectName: "shellLoader"
        anchors.fill: parent
        asynchronous: app.stage === window.stageLocked
        // While the unlock runs the shell is laid out already, under the lock screen and unseen
        // (opacity 0 is not drawn) and without input, so that the unlocked stage only shows it.
        visible: app.stage !== window.stageLocked || app.busy
        opacity: app.stage !== window.stageLocked ? 1 : 0
        enabled: app.stage !== window.stageLocked
        focus: app.stage !== window.stageLocked
        source: "AppShell.qml"
    }

    Loader {
        id: lockLoader
        objectName: "lockLoader"
        anchors.fill: parent
        active: app.stage === window.stageLocked
        focus: active
        sourceComponent: UnlockPage {}
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
}
