// Toast: a short notice ("Copied") that fades out by itself.
import QtQuick
import QtQuick.Controls

Rectangle {
    id: toast
    function show(text) {
        label.text = text
        opacity = 1
        hideTimer.restart()
    }

    opacity: 0
    visible: opacity > 0
    radius: height / 2
    color: Theme.toastBackground
    implicitWidth: Math.min(label.implicitWidth + 2 * Theme.largePadding, 480)
    implicitHeight: label.implicitHeight + 2 * Theme.spacing + 4
    Accessible.role: Accessible.AlertMessage
    Accessible.name: label.text

    Behavior on opacity {
        NumberAnimation { duration: 200 }
    }

    Label {
        id: label
        objectName: "toastText"
        anchors.centerIn: parent
        width: parent.width - 2 * Theme.largePadding
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        color: "white"
    }

    Timer {
        id: hideTimer
        interval: 2500
        onTriggered: toast.opacity = 0
    }
}
