// Composer: the message being written. Enter sends, Shift+Enter starts a new line. While an input
// method composes (Hangul syllables), keys belong to it: Enter then commits the syllable and does
// not send. Typing is reported at most once every 3 s, and stops after sending or 5 s idle.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Rectangle {
    id: composer
    color: Theme.surface
    implicitHeight: row.implicitHeight + 2 * Theme.spacing

    readonly property int typingInterval: 3000
    property double lastTypingSent: 0

    function focusInput() {
        input.forceActiveFocus()
    }

    function stopTyping() {
        idleTimer.stop()
        if (lastTypingSent !== 0) {
            lastTypingSent = 0
            app.setTyping(false)
        }
    }

    // A new chat opened: nothing of the previous draft carries over.
    function reset() {
        stopTyping()
        input.clear()
    }

    function send() {
        Qt.inputMethod.commit()
        const text = input.text
        if (text.trim() === "")
            return
        app.sendText(text)
        input.clear()
        stopTyping()
    }

    function textEdited() {
        app.userActive()
        if (input.text === "") {
            stopTyping()
            return
        }
        const now = Date.now()
        if (now - lastTypingSent >= typingInterval) {
            lastTypingSent = now
            app.setTyping(true)
        }
        idleTimer.restart()
    }

    Component.onDestruction: stopTyping()

    Timer {
        id: idleTimer
        interval: 5000
        onTriggered: composer.stopTyping()
    }

    Rectangle {
        anchors.top: parent.top
        width: parent.width
        height: 1
        color: Theme.border
    }

    RowLayout {
        id: row
        anchors.fill: parent
        anchors.leftMargin: Theme.padding
        anchors.rightMargin: Theme.padding
        anchors.topMargin: Theme.spacing
        anchors.bottomMargin: Theme.spacing
        spacing: Theme.spacing

        ScrollView {
            id: scroll
            Layout.fillWidth: true
            Layout.preferredHeight: Math.min(input.implicitHeight, 160)
            Layout.alignment: Qt.AlignBottom

            TextArea {
                id: input
                objectName: "composerInput"
                wrapMode: TextArea.Wrap
                textFormat: TextEdit.PlainText
                placeholderText: qsTr("Write a message")
                Accessible.name: qsTr("Message")
                Accessible.description: qsTr("Enter sends, Shift+Enter starts a new line")
                selectByMouse: true
                persistentSelection: true
                background: Rectangle {
                    radius: Theme.radius
                    color: Theme.background
                    border.color: input.activeFocus ? Theme.accent : Theme.border
                }

                onTextChanged: composer.textEdited()

                // Tab leaves the field (a message has no use for tab characters).
                Keys.onTabPressed: event => {
                    if (input.inputMethodComposing) {
                        event.accepted = false
                        return
                    }
                    input.nextItemInFocusChain(true).forceActiveFocus(Qt.TabFocusReason)
                }
                Keys.onBacktabPressed: event => {
                    if (input.inputMethodComposing) {
                        event.accepted = false
                        return
                    }
                    input.nextItemInFocusChain(false).forceActiveFocus(Qt.BacktabFocusReason)
                }
                Keys.onPressed: event => {
                    if (event.key !== Qt.Key_Return && event.key !== Qt.Key_Enter)
                        return
                    // An input method composing a syllable owns the key.
                    if (input.inputMethodComposing) {
                        event.accepted = false
                        return
                    }
                    if (event.modifiers & Qt.ShiftModifier) {
                        if (input.selectedText !== "")
                            input.remove(input.selectionStart, input.selectionEnd)
                        input.insert(input.cursorPosition, "\n")
                        event.accepted = true
                        return
                    }
                    if (event.modifiers & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier)) {
                        event.accepted = false
                        return
                    }
                    event.accepted = true
                    composer.send()
                }
            }
        }

        Button {
            objectName: "sendButton"
            Layout.alignment: Qt.AlignBottom
            text: qsTr("Send")
            Accessible.name: qsTr("Send the message")
            highlighted: true
            enabled: input.text.trim() !== "" || input.inputMethodComposing
            onClicked: {
                composer.send()
                input.forceActiveFocus()
            }
        }
    }
}
