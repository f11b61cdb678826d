// ErrorBanner: the controller's last error, across the top of the window, until dismissed.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Rectangle {
    id: banner
    property alias text: message.text
    signal dismissed()

    color: Theme.dangerBackground
    implicitHeight: row.implicitHeight + 2 * Theme.spacing
    Accessible.role: Accessible.AlertMessage
    Accessible.name: message.text

    RowLayout {
        id: row
        anchors.fill: parent
        anchors.leftMargin: Theme.padding
        anchors.rightMargin: Theme.spacing
        spacing: Theme.spacing

        Label {
            id: message
            objectName: "errorBannerText"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.danger
        }
        Button {
            objectName: "errorBannerDismissButton"
            flat: true
            text: qsTr("Dismiss")
            Accessible.name: qsTr("Dismiss the error")
            onClicked: banner.dismissed()
        }
    }
}
