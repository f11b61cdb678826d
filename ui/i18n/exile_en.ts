<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AppShell</name>
    <message>
        <source>Start a secret chat?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exile was opened with an invitation link. Start a new secret chat with whoever shared it?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChatInfoPage</name>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Safety number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare these numbers, the picture or the QR code with your contact, in person or on a call you trust. If they match, nobody is in the middle of this chat.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Safety number %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key picture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>QR code of the safety number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You verified this chat.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not verified yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unmark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark as verified</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unmark this chat as verified</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark this chat as verified</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Self-destruct timer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New messages in this chat disappear on both sides this long after they are read. Your contact sees the change.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChatListDelegate</name>
    <message numerus="yes">
        <source>%1, %n unread message(s)</source>
        <translation>
            <numerusform>%1, %n unread message</numerusform>
            <numerusform>%1, %n unread messages</numerusform>
        </translation>
    </message>
    <message>
        <source>Timer changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Undecryptable message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting for them to accept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wants to chat with you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChatListPane</name>
    <message>
        <source>No relay configured</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected to %1 of %2 relays</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New chat (Ctrl+N)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lock (Ctrl+L)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search chats and messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Contact requests (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chats</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No chats yet</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>typing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invitation sent: waiting for them to accept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Verified secret chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Secret chat: not verified yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Self-destruct timer: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Chat info and verification</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No messages yet. Messages in this chat are end-to-end encrypted.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Write a message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter sends, Shift+Enter starts a new line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send the message</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ErrorBanner</name>
    <message>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dismiss the error</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Format</name>
    <message numerus="yes">
        <source>%n day(s)</source>
        <translation>
            <numerusform>%n day</numerusform>
            <numerusform>%n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s)</source>
        <translation>
            <numerusform>%n hour</numerusform>
            <numerusform>%n hours</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n minute</numerusform>
            <numerusform>%n minutes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n second</numerusform>
            <numerusform>%n seconds</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Exile</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainPage</name>
    <message>
        <source>Choose a chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No chats yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Share your invitation or paste someone else&apos;s to start a secret chat.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>New chat</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>You: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Them: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This message could not be decrypted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Self-destruct timer set to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Self-destruct timer off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disappears in %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting to send</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delivered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Send this message again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy selection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete for both</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NewChatPage</name>
    <message>
        <source>New secret chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Contact requests</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>These people used your invitation. Names are what they chose, not verified: compare the safety number with them to be sure.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Safety number %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decline the request from %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accept the request from %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your invitation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give this link or QR code to someone you trust, in person or over a channel you trust. Anyone who has it can ask you for a chat.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Publishing your address…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>QR code of your invitation link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your invitation link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy your invitation link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Paste a link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Someone gave you their invitation? Paste it here to start a secret chat with them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>exile://invite/…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Invitation link to accept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start chat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start a secret chat with this link</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A contact can have several secret chats: each accepted invitation starts a new one, with its own keys and its own safety number.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Language</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>English</source>
        <extracomment>The English language, written in English: leave as is.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>한국어</source>
        <extracomment>The Korean language, written in Korean: leave as is.</extracomment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lock after inactivity</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>After 1 minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>After 5 minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>After 15 minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>After 1 hour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Locking closes your profile: your chats stay encrypted on disk until you enter your passphrase again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Lock now</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StrengthMeter</name>
    <message>
        <source>Very weak</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Weak</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Good</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Strong</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Passphrase strength: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a long passphrase: several unrelated words work well.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Strength: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>UnlockPage</name>
    <message>
        <source>Exile is locked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your passphrase to open your chats.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unlocking…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>VerifiedMark</name>
    <message>
        <source>Verified</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Verified: you compared the safety number</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Welcome to Exile</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Private conversations that stay between you and the people you invite. Your profile lives on this computer only, encrypted with your passphrase.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How your contacts will see you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Display name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Repeat the passphrase</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This passphrase is too easy to guess.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nobody can recover a forgotten passphrase, not even us.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Home relay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The relay holds your encrypted messages until your contacts fetch them. It never sees who you are or what you write.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Creating your profile…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Create profile</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>exile::app::AppController</name>
    <message>
        <source>Wrong passphrase.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This profile is open in another window or program.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The disk is full. Nothing was lost; free some space and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The relay could not be reached or refused the request. Exile will keep trying.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a longer, less predictable passphrase.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Request declined</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>5 seconds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>30 seconds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>5 minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 hour</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 day</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 week</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The profile could not be read or written. Check the disk and try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The profile is damaged and cannot be opened. Restore it from a backup.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This profile was written by a newer version of Exile.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A relay on another computer must use wss:// (an encrypted connection).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That is not a relay address (wss://host or ws://127.0.0.1:port).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The relay&apos;s certificate is not trusted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That was not accepted. Check what you entered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Something went wrong (error %1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Check your name (up to 64 bytes) and the relay address.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This is not a valid Exile invitation link.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>exile::app::MessageListModel</name>
    <message>
        <source>Today</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
