// NameWithMark: a contact's name, elided when the room is short, with the verified mark right
// after it (not pushed to the far edge).
import QtQuick
import QtQuick.Controls

Item {
    id: root
    property alias text: nameLabel.text
    property bool verified: false
    property alias font: nameLabel.font
    property alias color: nameLabel.color

    implicitWidth: nameLabel.implicitWidth + (verified ? mark.width + 6 : 0)
    implicitHeight: nameLabel.implicitHeight

    Label {
        id: nameLabel
        width: Math.min(implicitWidth, root.width - (root.verified ? mark.width + 6 : 0))
        anchors.verticalCenter: parent.verticalCenter
        elide: Text.ElideRight
        maximumLineCount: 1
    }
    VerifiedMark {
        id: mark
        visible: root.verified
        width: 14
        height: 14
        x: nameLabel.width + 6
        anchors.verticalCenter: parent.verticalCenter
    }
}
