// NewChatPage: how secret chats start. My invitation (link and QR code) to share; a field for a
// link someone shared with me; and the contact requests waiting for my answer.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

ExileDialog {
    id: dialog
    width: Math.min(640, parent.width - 48)
    height: Math.min(implicitHeight, parent.height - 48)
    focus: true
    title: qsTr("New secret chat")

    onOpened: linkField.forceActiveFocus()
    onClosed: linkField.clear()

    function startChat() {
        const link = linkField.text.trim()
        if (link === "" || app.busy)
            return
        app.acceptInvitation(link)
        linkField.clear()
        close()
    }

    footer: DialogButtonBox {
        background: null
        padding: Theme.padding
        Button {
            objectName: "newChatCloseButton"
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

            // Contact requests come first: someone is waiting.
            ColumnLayout {
                Layout.fillWidth: true
                visible: app.requests.count > 0
                spacing: Theme.spacing

                SectionLabel { text: qsTr("Contact requests") }
                Label {
                    Layout.fillWidth: true
                    wrapMode: Text.Wrap
                    font.pixelSize: Theme.smallFontSize
                    color: Theme.textMuted
                    text: qsTr("These people used your invitation. Names are what they chose, not verified: compare the safety number with them to be sure.")
                }
                Repeater {
                    objectName: "requestsRepeater"
                    model: app.requests
                    delegate: Rectangle {
                        id: request
                        required property int index
                        required property var requestId
                        required property string name
                        required property string safetyNumber
                        objectName: "requestItem_" + index
                        Layout.fillWidth: true
                        implicitHeight: requestLayout.implicitHeight + 2 * Theme.padding
                        radius: Theme.radius
                        color: Theme.background
                        border.color: Theme.border

                        ColumnLayout {
                            id: requestLayout
                            anchors.fill: parent
                            anchors.margins: Theme.padding
                            spacing: 4
                            Label {
                                Layout.fillWidth: true
                                text: request.name
                                font.bold: true
                                elide: Text.ElideRight
                            }
                            Label {
                                Layout.fillWidth: true
                                text: request.safetyNumber
                                font.family: Theme.monoFamily
                                font.pixelSize: Theme.smallFontSize
                                color: Theme.textMuted
                                wrapMode: Text.Wrap
                                Accessible.name: qsTr("Safety number %1").arg(text)
                            }
                            RowLayout {
                                Layout.alignment: Qt.AlignRight
                                spacing: Theme.spacing
                                Button {
                                    objectName: "declineRequestButton_" + request.index
                                    text: qsTr("Decline")
                                    Accessible.name: qsTr("Decline the request from %1").arg(request.name)
                                    onClicked: app.declineRequest(request.requestId)
                                }
                                Button {
                                    objectName: "acceptRequestButton_" + request.index
                                    text: qsTr("Accept")
                                    Accessible.name: qsTr("Accept the request from %1").arg(request.name)
                                    highlighted: true
                                    enabled: !app.busy
                                    onClicked: {
                                        app.acceptRequest(request.requestId)
                                        dialog.close()
                                    }
                                }
                            }
                        }
                    }
                }
            }

            SectionLabel { text: qsTr("Your invitation") }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                color: Theme.textMuted
                font.pixelSize: Theme.smallFontSize
                text: qsTr("Give this link or QR code to someone you trust, in person or over a channel you trust. Anyone who has it can ask you for a chat.")
            }

            RowLayout {
                Layout.fillWidth: true
                visible: app.invitationLink === ""
                spacing: Theme.spacing
                BusyIndicator {
                    running: parent.visible
                    Layout.preferredWidth: 28
                    Layout.preferredHeight: 28
                }
                Label {
                    objectName: "publishingLabel"
                    Layout.fillWidth: true
                    wrapMode: Text.Wrap
                    text: qsTr("Publishing your address…")
                    color: Theme.textMuted
                }
            }

            GridLayout {
                Layout.fillWidth: true
                visible: app.invitationLink !== ""
                columns: dialog.width > 520 ? 2 : 1
                columnSpacing: Theme.padding
                rowSpacing: Theme.spacing

                Image {
                    objectName: "invitationQr"
                    Layout.preferredWidth: 180
                    Layout.preferredHeight: 180
                    Layout.alignment: Qt.AlignTop
                    source: app.invitationLink !== ""
                            ? "image://qr/" + encodeURIComponent(app.invitationLink) : ""
                    sourceSize.width: 180
                    sourceSize.height: 180
                    fillMode: Image.PreserveAspectFit
                    smooth: false
                    cache: false
                    Accessible.role: Accessible.Graphic
                    Accessible.name: qsTr("QR code of your invitation link")
                }
                ColumnLayout {
                    Layout.fillWidth: true
                    Layout.alignment: Qt.AlignTop
                    spacing: Theme.spacing
                    TextArea {
                        id: invitationText
                        objectName: "invitationLinkField"
                        Layout.fillWidth: true
                        text: app.invitationLink
                        readOnly: true
                        selectByMouse: true
                        wrapMode: TextEdit.WrapAnywhere
                        font.family: Theme.monoFamily
                        font.pixelSize: Theme.smallFontSize
                        Accessible.name: qsTr("Your invitation link")
                        Keys.onTabPressed: nextItemInFocusChain(true).forceActiveFocus(Qt.TabFocusReason)
                        Keys.onBacktabPressed: nextItemInFocusChain(false).forceActiveFocus(Qt.BacktabFocusReason)
                        background: Rectangle {
                            radius: Theme.radius
                            color: Theme.background
                            border.color: invitationText.activeFocus ? Theme.accent : Theme.border
                        }
                    }
                    Button {
                        objectName: "copyInvitationButton"
                        text: qsTr("Copy link")
                        Accessible.name: qsTr("Copy your invitation link")
                        onClicked: app.copyToClipboard(app.invitationLink)
                    }
                }
            }

            SectionLabel { text: qsTr("Paste a link") }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                color: Theme.textMuted
                font.pixelSize: Theme.smallFontSize
                text: qsTr("Someone gave you their invitation? Paste it here to start a secret chat with them.")
            }
            RowLayout {
                Layout.fillWidth: true
                spacing: Theme.spacing
                TextField {
                    id: linkField
                    objectName: "invitationInputField"
                    Layout.fillWidth: true
                    placeholderText: qsTr("exile://invite/…")
                    Accessible.name: qsTr("Invitation link to accept")
                    inputMethodHints: Qt.ImhUrlCharactersOnly | Qt.ImhNoAutoUppercase
                    onAccepted: dialog.startChat()
                }
                Button {
                    objectName: "startChatButton"
                    text: qsTr("Start chat")
                    Accessible.name: qsTr("Start a secret chat with this link")
                    highlighted: true
                    enabled: linkField.text.trim() !== "" && !app.busy
                    onClicked: dialog.startChat()
                }
            }

            Label {
                Layout.fillWidth: true
                Layout.topMargin: Theme.spacing
                wrapMode: Text.Wrap
                color: Theme.textMuted
                font.pixelSize: Theme.smallFontSize
                text: qsTr("A contact can have several secret chats: each accepted invitation starts a new one, with its own keys and its own safety number.")
            }
        }
    }
}
