// ChatInfoPage: the open chat's verification and its self-destruct timer. The safety number (12
// groups of 5 digits), the key image and a QR code are three ways to compare the same keys with
// the contact; once they match, the user marks the chat verified.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

ExileDialog {
    id: dialog
    width: Math.min(620, parent.width - 48)
    height: Math.min(implicitHeight, parent.height - 48)
    title: app.currentChatInfo.name !== undefined ? app.currentChatInfo.name : ""

    readonly property var verification: app.verification
    readonly property bool loaded: verification.groups !== undefined
    readonly property bool verified: verification.verified !== undefined
                                     ? verification.verified === true
                                     : app.currentChatInfo.verified === true
    readonly property var timerChoices: app.timerChoices

    function syncTimer() {
        const seconds = app.currentChatInfo.timerSeconds !== undefined ? app.currentChatInfo.timerSeconds : 0
        timerBox.currentIndex = timerBox.indexOfValue(seconds)
    }

    onAboutToShow: {
        app.loadVerification()
        syncTimer()
    }
    Connections {
        target: app
        function onCurrentChatInfoChanged() {
            dialog.syncTimer()
        }
    }

    footer: DialogButtonBox {
        background: null
        padding: Theme.padding
        Button {
            objectName: "chatInfoCloseButton"
            text: qsTr("Close")
            Accessible.name: text
            DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
        }
        onRejected: dialog.close()
    }

    contentItem: ScrollView {
        id: scroll
        implicitHeight: content.implicitHeight
        contentWidth: availableWidth
        clip: true

        ColumnLayout {
            id: content
            width: scroll.availableWidth
            spacing: Theme.spacing

            SectionLabel { text: qsTr("Safety number") }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                font.pixelSize: Theme.smallFontSize
                color: Theme.textMuted
                text: qsTr("Compare these numbers, the picture or the QR code with your contact, in person or on a call you trust. If they match, nobody is in the middle of this chat.")
            }

            BusyIndicator {
                Layout.alignment: Qt.AlignHCenter
                visible: !dialog.loaded
                running: visible
            }

            GridLayout {
                Layout.fillWidth: true
                visible: dialog.loaded
                columns: dialog.width > 540 ? 3 : 1
                columnSpacing: Theme.largePadding
                rowSpacing: Theme.padding

                // 12 groups as 3 columns × 4 rows
                GridLayout {
                    objectName: "safetyNumberGrid"
                    Layout.alignment: Qt.AlignTop | Qt.AlignHCenter
                    columns: 3
                    columnSpacing: Theme.padding
                    rowSpacing: 6
                    Accessible.role: Accessible.StaticText
                    Accessible.name: qsTr("Safety number %1").arg(
                                         dialog.verification.safetyNumber !== undefined
                                         ? dialog.verification.safetyNumber : "")
                    Repeater {
                        model: dialog.loaded ? dialog.verification.groups : []
                        Label {
                            required property string modelData
                            text: modelData
                            font.family: Theme.monoFamily
                            font.pixelSize: Theme.headerFontSize
                        }
                    }
                }

                Image {
                    objectName: "keyImage"
                    Layout.preferredWidth: 144
                    Layout.preferredHeight: 144
                    Layout.alignment: Qt.AlignTop | Qt.AlignHCenter
                    source: dialog.loaded && dialog.verification.keyImage !== undefined
                            ? dialog.verification.keyImage : ""
                    sourceSize.width: 144
                    sourceSize.height: 144
                    smooth: false
                    cache: false
                    fillMode: Image.PreserveAspectFit
                    Accessible.role: Accessible.Graphic
                    Accessible.name: qsTr("Key picture")
                }

                Image {
                    objectName: "verificationQr"
                    Layout.preferredWidth: 144
                    Layout.preferredHeight: 144
                    Layout.alignment: Qt.AlignTop | Qt.AlignHCenter
                    source: dialog.loaded && dialog.verification.qrText !== undefined
                            ? "image://qr/" + encodeURIComponent(dialog.verification.qrText) : ""
                    sourceSize.width: 144
                    sourceSize.height: 144
                    smooth: false
                    cache: false
                    fillMode: Image.PreserveAspectFit
                    Accessible.role: Accessible.Graphic
                    Accessible.name: qsTr("QR code of the safety number")
                }
            }

            RowLayout {
                Layout.fillWidth: true
                Layout.topMargin: Theme.spacing
                spacing: Theme.spacing
                VerifiedMark {
                    visible: dialog.verified
                }
                Label {
                    objectName: "verificationStatusLabel"
                    Layout.fillWidth: true
                    wrapMode: Text.Wrap
                    color: dialog.verified ? Theme.verified : Theme.textMuted
                    text: dialog.verified ? qsTr("You verified this chat.")
                                          : qsTr("Not verified yet.")
                }
                Button {
                    objectName: "markVerifiedButton"
                    enabled: dialog.loaded
                    text: dialog.verified ? qsTr("Unmark") : qsTr("Mark as verified")
                    Accessible.name: dialog.verified ? qsTr("Unmark this chat as verified")
                                                     : qsTr("Mark this chat as verified")
                    highlighted: !dialog.verified
                    onClicked: app.markVerified(!dialog.verified)
                }
            }

            SectionLabel { text: qsTr("Self-destruct timer") }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                font.pixelSize: Theme.smallFontSize
                color: Theme.textMuted
                text: qsTr("New messages in this chat disappear on both sides this long after they are read. Your contact sees the change.")
            }
            ComboBox {
                id: timerBox
                objectName: "timerComboBox"
                Layout.preferredWidth: 240
                Layout.bottomMargin: Theme.spacing
                model: dialog.timerChoices
                textRole: "label"
                valueRole: "seconds"
                Accessible.name: qsTr("Self-destruct timer")
                onActivated: app.setTimer(currentValue)
            }
        }
    }
}
