// StrengthMeter: a passphrase's strength, 0 (very weak) … 4 (strong), as a bar and a word.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

ColumnLayout {
    id: meter
    property int strength: 0
    property bool empty: true
    readonly property var labels: [qsTr("Very weak"), qsTr("Weak"), qsTr("Fair"), qsTr("Good"),
                                   qsTr("Strong")]
    readonly property string label: labels[Math.max(0, Math.min(4, strength))]

    spacing: 4
    Accessible.role: Accessible.ProgressBar
    Accessible.name: qsTr("Passphrase strength: %1").arg(label)

    RowLayout {
        Layout.fillWidth: true
        spacing: 4
        Repeater {
            model: 5
            Rectangle {
                required property int index
                Layout.fillWidth: true
                implicitHeight: 6
                radius: 3
                color: !meter.empty && index <= meter.strength
                       ? Theme.strengthColors[meter.strength] : Theme.border
            }
        }
    }
    Label {
        objectName: "strengthLabel"
        Layout.fillWidth: true
        font.pixelSize: Theme.smallFontSize
        color: meter.empty ? Theme.textMuted : Theme.strengthColors[meter.strength]
        text: meter.empty ? qsTr("Choose a long passphrase: several unrelated words work well.")
                          : qsTr("Strength: %1").arg(meter.label)
        wrapMode: Text.Wrap
    }
}
