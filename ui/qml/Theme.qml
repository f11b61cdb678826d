// Theme: the colours, spacing and fonts every screen uses, in one place.
pragma Singleton
import QtQuick

QtObject {
    // Surfaces
    readonly property color background: "#f4f6f9"
    readonly property color surface: "#ffffff"
    readonly property color sidebar: "#eceff4"
    readonly property color border: "#d9dee6"
    readonly property color hover: "#e3e8f0"
    readonly property color selected: "#d6e3fa"

    // Text
    readonly property color text: "#1b2230"
    readonly property color textMuted: "#667085"
    readonly property color textOnAccent: "#ffffff"

    // Accents and states
    readonly property color accent: "#2f6bd8"
    readonly property color accentMuted: "#e5eefc"
    readonly property color outgoingBubble: "#2f6bd8"
    readonly property color outgoingText: "#ffffff"
    readonly property color outgoingMuted: "#d3e1fb"
    readonly property color incomingBubble: "#ffffff"
    readonly property color incomingText: "#1b2230"
    readonly property color readTick: "#8fe3b0"
    readonly property color danger: "#c8322f"
    readonly property color dangerBackground: "#fde8e7"
    readonly property color success: "#2c9a5a"
    readonly property color warning: "#d08a12"
    readonly property color verified: "#2c9a5a"
    readonly property color toastBackground: "#2a3140"

    // Strength meter, 0 (very weak) … 4 (strong)
    readonly property var strengthColors: ["#c8322f", "#e0702a", "#d0a512", "#5aa846", "#2c9a5a"]

    // Metrics
    readonly property int spacing: 8
    readonly property int padding: 12
    readonly property int largePadding: 24
    readonly property int radius: 10
    readonly property int bubbleRadius: 14
    readonly property int formWidth: 440

    // Fonts: the window uses the default font, and fontconfig falls back to Noto Sans CJK for
    // Hangul (naming a CJK family for the whole window cost 20 ms at start: scripts/bench app);
    // message text names Noto Sans CJK KR, which draws both Latin and Hangul.
    readonly property string fontFamily: "Noto Sans CJK KR"
    readonly property string monoFamily: "Noto Sans Mono CJK KR"
    readonly property int fontSize: 14
    readonly property int smallFontSize: 12
    readonly property int titleFontSize: 20
    readonly property int headerFontSize: 16
}
