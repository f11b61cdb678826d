// VerifiedMark: a small green check in a circle, for a chat whose safety number was compared.
import QtQuick
import QtQuick.Controls

Rectangle {
    implicitWidth: 16
    implicitHeight: 16
    radius: width / 2
    color: Theme.verified
    Accessible.role: Accessible.StaticText
    Accessible.name: qsTr("Verified")
    ToolTip.visible: hover.hovered
    ToolTip.text: qsTr("Verified: you compared the safety number")
    ToolTip.delay: 500

    Text {
        anchors.centerIn: parent
        text: "\u2713"
        color: "white"
        font.family: "DejaVu Sans"
        font.pixelSize: parent.height * 0.7
        font.bold: true
    }
    HoverHandler { id: hover }
}
