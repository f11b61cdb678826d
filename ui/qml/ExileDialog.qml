// ExileDialog: the look every dialog shares: a white rounded card with a title, centred over the
// window, modal, closed by Escape.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Dialog {
    id: dialog
    parent: Overlay.overlay
    anchors.centerIn: parent
    modal: true
    font.pixelSize: Theme.fontSize  // popups do not inherit the shell's font: they live on the overlay
    padding: Theme.largePadding
    topPadding: Theme.padding
    closePolicy: Popup.CloseOnEscape | Popup.CloseOnPressOutside

    background: Rectangle {
        color: Theme.surface
        radius: Theme.radius
        border.color: Theme.border
    }

    header: Label {
        text: dialog.title
        visible: text !== ""
        font.pixelSize: Theme.titleFontSize
        font.bold: true
        elide: Text.ElideRight
        leftPadding: Theme.largePadding
        rightPadding: Theme.largePadding
        topPadding: Theme.largePadding
        bottomPadding: 0
    }

    Overlay.modal: Rectangle {
        color: "#66101828"
    }
}
