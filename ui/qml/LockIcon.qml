// LockIcon: a padlock drawn from rectangles (no icon font needed).
import QtQuick

Item {
    id: icon
    property color color: Theme.text
    implicitWidth: 14
    implicitHeight: 16

    // The shackle: the top half of a rounded outline.
    Item {
        x: icon.width * 0.2
        width: icon.width * 0.6
        height: icon.height * 0.45
        clip: true
        Rectangle {
            width: parent.width
            height: parent.height * 2
            radius: width / 2
            color: "transparent"
            border.color: icon.color
            border.width: Math.max(1.5, icon.width / 9)
        }
    }
    Rectangle {
        y: icon.height * 0.42
        width: icon.width
        height: icon.height * 0.58
        radius: Math.max(1.5, icon.width / 8)
        color: icon.color
    }
}
