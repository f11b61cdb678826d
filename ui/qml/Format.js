// Formatting helpers shared by the views: times, countdowns and timer durations.
.pragma library

function isValidDate(d) {
    return d !== undefined && d !== null && d instanceof Date && !isNaN(d.getTime())
}

// The chat list's time: hh:mm today, the short date otherwise.
function chatTime(d, locale) {
    if (!isValidDate(d))
        return ""
    const now = new Date()
    if (d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth()
            && d.getDate() === now.getDate())
        return Qt.formatTime(d, "hh:mm")
    return d.toLocaleDateString(locale, 1 /* Locale.ShortFormat */)
}

function messageTime(d) {
    return isValidDate(d) ? Qt.formatTime(d, "hh:mm") : ""
}

function pad2(n) {
    return n < 10 ? "0" + n : "" + n
}

// Remaining time as m:ss, or h:mm:ss from an hour up (days count in hours).
function countdown(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000))
    const h = Math.floor(total / 3600)
    const m = Math.floor((total % 3600) / 60)
    const s = total % 60
    if (h > 0)
        return h + ":" + pad2(m) + ":" + pad2(s)
    return m + ":" + pad2(s)
}

// A timer's label from the controller's choices ({seconds, label}); a plain duration when the
// value is not among them.
function timerLabel(seconds, choices) {
    if (choices) {
        for (let i = 0; i < choices.length; ++i) {
            if (choices[i].seconds === seconds)
                return choices[i].label
        }
    }
    if (seconds % 86400 === 0)
        return qsTr("%n day(s)", "", seconds / 86400)
    if (seconds % 3600 === 0)
        return qsTr("%n hour(s)", "", seconds / 3600)
    if (seconds % 60 === 0)
        return qsTr("%n minute(s)", "", seconds / 60)
    return qsTr("%n second(s)", "", seconds)
}
