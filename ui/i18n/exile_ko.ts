<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ko" sourcelanguage="en">
<context>
    <name>AppShell</name>
    <message>
        <source>Start a secret chat?</source>
        <translation>비밀 대화를 시작할까요?</translation>
    </message>
    <message>
        <source>Exile was opened with an invitation link. Start a new secret chat with whoever shared it?</source>
        <translation>초대 링크로 Exile을 열었어요. 이 링크를 공유한 사람과 새 비밀 대화를 시작할까요?</translation>
    </message>
    <message>
        <source>Start chat</source>
        <translation>대화 시작</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>취소</translation>
    </message>
</context>
<context>
    <name>ChatInfoPage</name>
    <message>
        <source>Close</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Safety number</source>
        <translation>안전 번호</translation>
    </message>
    <message>
        <source>Compare these numbers, the picture or the QR code with your contact, in person or on a call you trust. If they match, nobody is in the middle of this chat.</source>
        <translation>이 번호나 키 이미지, QR 코드를 상대방과 직접 만나거나 믿을 수 있는 통화로 비교해 보세요. 서로 일치하면 이 대화 중간에 끼어든 사람이 없다는 뜻이에요.</translation>
    </message>
    <message>
        <source>Safety number %1</source>
        <translation>안전 번호 %1</translation>
    </message>
    <message>
        <source>Key picture</source>
        <translation>키 이미지</translation>
    </message>
    <message>
        <source>QR code of the safety number</source>
        <translation>안전 번호 QR 코드</translation>
    </message>
    <message>
        <source>You verified this chat.</source>
        <translation>이 대화를 인증했어요.</translation>
    </message>
    <message>
        <source>Not verified yet.</source>
        <translation>아직 인증하지 않았어요.</translation>
    </message>
    <message>
        <source>Unmark</source>
        <translation>인증 해제</translation>
    </message>
    <message>
        <source>Mark as verified</source>
        <translation>인증됨으로 표시</translation>
    </message>
    <message>
        <source>Unmark this chat as verified</source>
        <translation>이 대화의 인증 표시 해제</translation>
    </message>
    <message>
        <source>Mark this chat as verified</source>
        <translation>이 대화를 인증됨으로 표시</translation>
    </message>
    <message>
        <source>Self-destruct timer</source>
        <translation>자동 삭제 타이머</translation>
    </message>
    <message>
        <source>New messages in this chat disappear on both sides this long after they are read. Your contact sees the change.</source>
        <translation>이 대화의 새 메시지는 읽은 뒤 설정한 시간이 지나면 양쪽 모두에서 사라져요. 변경하면 상대방에게도 표시돼요.</translation>
    </message>
</context>
<context>
    <name>ChatListDelegate</name>
    <message numerus="yes">
        <source>%1, %n unread message(s)</source>
        <translation>
            <numerusform>%1, 읽지 않은 메시지 %n개</numerusform>
        </translation>
    </message>
    <message>
        <source>Timer changed</source>
        <translation>타이머 변경됨</translation>
    </message>
    <message>
        <source>Undecryptable message</source>
        <translation>복호화할 수 없는 메시지</translation>
    </message>
    <message>
        <source>Waiting for them to accept</source>
        <translation>상대방의 수락을 기다리는 중</translation>
    </message>
    <message>
        <source>Wants to chat with you</source>
        <translation>대화를 요청했어요</translation>
    </message>
    <message>
        <source>No messages yet</source>
        <translation>아직 메시지가 없어요</translation>
    </message>
    <message>
        <source>You: %1</source>
        <translation>나: %1</translation>
    </message>
</context>
<context>
    <name>ChatListPane</name>
    <message>
        <source>No relay configured</source>
        <translation>설정된 릴레이 없음</translation>
    </message>
    <message>
        <source>Connected to %1 of %2 relays</source>
        <translation>릴레이 %2개 중 %1개에 연결됨</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>새 대화</translation>
    </message>
    <message>
        <source>New chat (Ctrl+N)</source>
        <translation>새 대화 (Ctrl+N)</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>잠금</translation>
    </message>
    <message>
        <source>Lock (Ctrl+L)</source>
        <translation>잠금 (Ctrl+L)</translation>
    </message>
    <message>
        <source>Search (Ctrl+F)</source>
        <translation>검색 (Ctrl+F)</translation>
    </message>
    <message>
        <source>Search chats and messages</source>
        <translation>대화 및 메시지 검색</translation>
    </message>
    <message>
        <source>Contact requests (%1)</source>
        <translation>대화 요청 (%1)</translation>
    </message>
    <message>
        <source>Chats</source>
        <translation>대화 목록</translation>
    </message>
    <message>
        <source>Nothing found</source>
        <translation>검색 결과가 없어요</translation>
    </message>
    <message>
        <source>No chats yet</source>
        <translation>아직 대화가 없어요</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>typing…</source>
        <translation>입력 중…</translation>
    </message>
    <message>
        <source>Invitation sent: waiting for them to accept</source>
        <translation>초대 보냄: 상대방의 수락을 기다리는 중</translation>
    </message>
    <message>
        <source>Verified secret chat</source>
        <translation>인증된 비밀 대화</translation>
    </message>
    <message>
        <source>Secret chat: not verified yet</source>
        <translation>비밀 대화: 아직 인증 안 됨</translation>
    </message>
    <message>
        <source>Self-destruct timer: %1</source>
        <translation>자동 삭제 타이머: %1</translation>
    </message>
    <message>
        <source>Chat info and verification</source>
        <translation>대화 정보 및 인증</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>메시지</translation>
    </message>
    <message>
        <source>No messages yet. Messages in this chat are end-to-end encrypted.</source>
        <translation>아직 메시지가 없어요. 이 대화의 메시지는 종단 간 암호화돼요.</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Write a message</source>
        <translation>메시지 입력</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>메시지</translation>
    </message>
    <message>
        <source>Enter sends, Shift+Enter starts a new line</source>
        <translation>Enter로 보내고 Shift+Enter로 줄을 바꿔요</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>보내기</translation>
    </message>
    <message>
        <source>Send the message</source>
        <translation>메시지 보내기</translation>
    </message>
</context>
<context>
    <name>ErrorBanner</name>
    <message>
        <source>Dismiss</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Dismiss the error</source>
        <translation>오류 메시지 닫기</translation>
    </message>
</context>
<context>
    <name>Format</name>
    <message numerus="yes">
        <source>%n day(s)</source>
        <translation>
            <numerusform>%n일</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s)</source>
        <translation>
            <numerusform>%n시간</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n분</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n초</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Exile</source>
        <translation>Exile</translation>
    </message>
</context>
<context>
    <name>MainPage</name>
    <message>
        <source>Choose a chat</source>
        <translation>대화를 선택하세요</translation>
    </message>
    <message>
        <source>No chats yet</source>
        <translation>아직 대화가 없어요</translation>
    </message>
    <message>
        <source>Share your invitation or paste someone else&apos;s to start a secret chat.</source>
        <translation>내 초대 링크를 공유하거나 다른 사람의 초대 링크를 붙여넣어 비밀 대화를 시작하세요.</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>새 대화</translation>
    </message>
</context>
<context>
    <name>MessageDelegate</name>
    <message>
        <source>You: %1</source>
        <translation>나: %1</translation>
    </message>
    <message>
        <source>Them: %1</source>
        <translation>상대방: %1</translation>
    </message>
    <message>
        <source>This message could not be decrypted</source>
        <translation>이 메시지를 복호화할 수 없어요</translation>
    </message>
    <message>
        <source>Self-destruct timer set to %1</source>
        <translation>자동 삭제 타이머 설정: %1</translation>
    </message>
    <message>
        <source>Self-destruct timer off</source>
        <translation>자동 삭제 타이머 꺼짐</translation>
    </message>
    <message>
        <source>Disappears in %1</source>
        <translation>%1 후 사라짐</translation>
    </message>
    <message>
        <source>Waiting to send</source>
        <translation>전송 대기 중</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>보냄</translation>
    </message>
    <message>
        <source>Delivered</source>
        <translation>전달됨</translation>
    </message>
    <message>
        <source>Read</source>
        <translation>읽음</translation>
    </message>
    <message>
        <source>Not sent</source>
        <translation>전송 실패</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>다시 시도</translation>
    </message>
    <message>
        <source>Send this message again</source>
        <translation>이 메시지 다시 보내기</translation>
    </message>
    <message>
        <source>Copy selection</source>
        <translation>선택한 부분 복사</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>복사</translation>
    </message>
    <message>
        <source>Delete for both</source>
        <translation>양쪽에서 삭제</translation>
    </message>
</context>
<context>
    <name>NewChatPage</name>
    <message>
        <source>New secret chat</source>
        <translation>새 비밀 대화</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Contact requests</source>
        <translation>대화 요청</translation>
    </message>
    <message>
        <source>These people used your invitation. Names are what they chose, not verified: compare the safety number with them to be sure.</source>
        <translation>내 초대 링크를 사용한 사람들이에요. 이름은 본인이 정한 것이라 인증되지 않았어요. 확실히 하려면 상대방과 안전 번호를 비교하세요.</translation>
    </message>
    <message>
        <source>Safety number %1</source>
        <translation>안전 번호 %1</translation>
    </message>
    <message>
        <source>Decline</source>
        <translation>거절</translation>
    </message>
    <message>
        <source>Decline the request from %1</source>
        <translation>%1 님의 요청 거절</translation>
    </message>
    <message>
        <source>Accept</source>
        <translation>수락</translation>
    </message>
    <message>
        <source>Accept the request from %1</source>
        <translation>%1 님의 요청 수락</translation>
    </message>
    <message>
        <source>Your invitation</source>
        <translation>내 초대 링크</translation>
    </message>
    <message>
        <source>Give this link or QR code to someone you trust, in person or over a channel you trust. Anyone who has it can ask you for a chat.</source>
        <translation>이 링크나 QR 코드를 믿을 수 있는 사람에게 직접 만나서 주거나 믿을 수 있는 경로로 보내세요. 링크를 가진 사람은 누구나 나에게 대화를 요청할 수 있어요.</translation>
    </message>
    <message>
        <source>Publishing your address…</source>
        <translation>주소를 등록하는 중…</translation>
    </message>
    <message>
        <source>QR code of your invitation link</source>
        <translation>내 초대 링크의 QR 코드</translation>
    </message>
    <message>
        <source>Your invitation link</source>
        <translation>내 초대 링크</translation>
    </message>
    <message>
        <source>Copy link</source>
        <translation>링크 복사</translation>
    </message>
    <message>
        <source>Copy your invitation link</source>
        <translation>내 초대 링크 복사</translation>
    </message>
    <message>
        <source>Paste a link</source>
        <translation>링크 붙여넣기</translation>
    </message>
    <message>
        <source>Someone gave you their invitation? Paste it here to start a secret chat with them.</source>
        <translation>다른 사람에게 초대 링크를 받았나요? 여기에 붙여넣으면 그 사람과 비밀 대화를 시작할 수 있어요.</translation>
    </message>
    <message>
        <source>exile://invite/…</source>
        <translation>exile://invite/…</translation>
    </message>
    <message>
        <source>Invitation link to accept</source>
        <translation>수락할 초대 링크</translation>
    </message>
    <message>
        <source>Start chat</source>
        <translation>대화 시작</translation>
    </message>
    <message>
        <source>Start a secret chat with this link</source>
        <translation>이 링크로 비밀 대화 시작</translation>
    </message>
    <message>
        <source>A contact can have several secret chats: each accepted invitation starts a new one, with its own keys and its own safety number.</source>
        <translation>한 상대방과 여러 비밀 대화를 할 수 있어요. 초대를 수락할 때마다 고유한 키와 안전 번호를 가진 새 대화가 시작돼요.</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Settings</source>
        <translation>설정</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>닫기</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>언어</translation>
    </message>
    <message>
        <source>System</source>
        <translation>시스템 설정</translation>
    </message>
    <message>
        <source>English</source>
        <extracomment>The English language, written in English: leave as is.</extracomment>
        <translation>English</translation>
    </message>
    <message>
        <source>한국어</source>
        <extracomment>The Korean language, written in Korean: leave as is.</extracomment>
        <translation>한국어</translation>
    </message>
    <message>
        <source>Lock after inactivity</source>
        <translation>사용하지 않을 때 잠금</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>사용 안 함</translation>
    </message>
    <message>
        <source>After 1 minute</source>
        <translation>1분 후</translation>
    </message>
    <message>
        <source>After 5 minutes</source>
        <translation>5분 후</translation>
    </message>
    <message>
        <source>After 15 minutes</source>
        <translation>15분 후</translation>
    </message>
    <message>
        <source>After 1 hour</source>
        <translation>1시간 후</translation>
    </message>
    <message>
        <source>Locking closes your profile: your chats stay encrypted on disk until you enter your passphrase again.</source>
        <translation>잠그면 프로필이 닫혀요. 암호 문구를 다시 입력할 때까지 대화는 디스크에 암호화된 채로 보관돼요.</translation>
    </message>
    <message>
        <source>Lock now</source>
        <translation>지금 잠금</translation>
    </message>
</context>
<context>
    <name>StrengthMeter</name>
    <message>
        <source>Very weak</source>
        <translation>매우 약함</translation>
    </message>
    <message>
        <source>Weak</source>
        <translation>약함</translation>
    </message>
    <message>
        <source>Fair</source>
        <translation>보통</translation>
    </message>
    <message>
        <source>Good</source>
        <translation>좋음</translation>
    </message>
    <message>
        <source>Strong</source>
        <translation>강함</translation>
    </message>
    <message>
        <source>Passphrase strength: %1</source>
        <translation>암호 문구 강도: %1</translation>
    </message>
    <message>
        <source>Choose a long passphrase: several unrelated words work well.</source>
        <translation>긴 암호 문구를 정하세요. 서로 관련 없는 단어 여러 개를 이어 쓰면 좋아요.</translation>
    </message>
    <message>
        <source>Strength: %1</source>
        <translation>강도: %1</translation>
    </message>
</context>
<context>
    <name>UnlockPage</name>
    <message>
        <source>Exile is locked</source>
        <translation>Exile이 잠겨 있어요</translation>
    </message>
    <message>
        <source>Enter your passphrase to open your chats.</source>
        <translation>대화를 열려면 암호 문구를 입력하세요.</translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation>암호 문구</translation>
    </message>
    <message>
        <source>Unlocking…</source>
        <translation>잠금 해제 중…</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>잠금 해제</translation>
    </message>
</context>
<context>
    <name>VerifiedMark</name>
    <message>
        <source>Verified</source>
        <translation>인증됨</translation>
    </message>
    <message>
        <source>Verified: you compared the safety number</source>
        <translation>인증됨: 안전 번호를 비교했어요</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Welcome to Exile</source>
        <translation>Exile에 오신 것을 환영해요</translation>
    </message>
    <message>
        <source>Private conversations that stay between you and the people you invite. Your profile lives on this computer only, encrypted with your passphrase.</source>
        <translation>나와 내가 초대한 사람들 사이에서만 오가는 비공개 대화. 프로필은 암호 문구로 암호화되어 이 컴퓨터에만 저장돼요.</translation>
    </message>
    <message>
        <source>Your name</source>
        <translation>내 이름</translation>
    </message>
    <message>
        <source>How your contacts will see you</source>
        <translation>상대방에게 보일 이름</translation>
    </message>
    <message>
        <source>Display name</source>
        <translation>표시 이름</translation>
    </message>
    <message>
        <source>Passphrase</source>
        <translation>암호 문구</translation>
    </message>
    <message>
        <source>Repeat the passphrase</source>
        <translation>암호 문구 다시 입력</translation>
    </message>
    <message>
        <source>This passphrase is too easy to guess.</source>
        <translation>이 암호 문구는 너무 쉽게 추측할 수 있어요.</translation>
    </message>
    <message>
        <source>The two passphrases differ.</source>
        <translation>두 암호 문구가 서로 달라요.</translation>
    </message>
    <message>
        <source>Nobody can recover a forgotten passphrase, not even us.</source>
        <translation>암호 문구를 잊어버리면 누구도 복구할 수 없어요. 저희도 마찬가지예요.</translation>
    </message>
    <message>
        <source>Home relay</source>
        <translation>기본 릴레이</translation>
    </message>
    <message>
        <source>The relay holds your encrypted messages until your contacts fetch them. It never sees who you are or what you write.</source>
        <translation>릴레이는 상대방이 가져갈 때까지 암호화된 메시지를 보관해요. 릴레이는 내가 누구인지, 무엇을 쓰는지 절대 알 수 없어요.</translation>
    </message>
    <message>
        <source>Creating your profile…</source>
        <translation>프로필을 만드는 중…</translation>
    </message>
    <message>
        <source>Create profile</source>
        <translation>프로필 만들기</translation>
    </message>
</context>
<context>
    <name>exile::app::AppController</name>
    <message>
        <source>Wrong passphrase.</source>
        <translation>암호 문구가 틀렸어요.</translation>
    </message>
    <message>
        <source>This profile is open in another window or program.</source>
        <translation>이 프로필은 다른 창이나 프로그램에서 열려 있어요.</translation>
    </message>
    <message>
        <source>The disk is full. Nothing was lost; free some space and try again.</source>
        <translation>디스크 공간이 부족해요. 잃어버린 데이터는 없어요. 공간을 확보한 뒤 다시 시도해 주세요.</translation>
    </message>
    <message>
        <source>The relay could not be reached or refused the request. Exile will keep trying.</source>
        <translation>릴레이에 연결하지 못했거나 릴레이가 요청을 거부했어요. Exile이 계속 다시 시도할게요.</translation>
    </message>
    <message>
        <source>Choose a longer, less predictable passphrase.</source>
        <translation>더 길고 예측하기 어려운 암호 문구를 정해 주세요.</translation>
    </message>
    <message>
        <source>Request declined</source>
        <translation>요청을 거절했어요</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>복사했어요</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>끔</translation>
    </message>
    <message>
        <source>5 seconds</source>
        <translation>5초</translation>
    </message>
    <message>
        <source>30 seconds</source>
        <translation>30초</translation>
    </message>
    <message>
        <source>1 minute</source>
        <translation>1분</translation>
    </message>
    <message>
        <source>5 minutes</source>
        <translation>5분</translation>
    </message>
    <message>
        <source>1 hour</source>
        <translation>1시간</translation>
    </message>
    <message>
        <source>1 day</source>
        <translation>1일</translation>
    </message>
    <message>
        <source>1 week</source>
        <translation>1주</translation>
    </message>
    <message>
        <source>The profile could not be read or written. Check the disk and try again.</source>
        <translation>프로필을 읽거나 쓸 수 없어요. 디스크를 확인하고 다시 시도해 주세요.</translation>
    </message>
    <message>
        <source>The profile is damaged and cannot be opened. Restore it from a backup.</source>
        <translation>프로필이 손상되어 열 수 없어요. 백업에서 복원해 주세요.</translation>
    </message>
    <message>
        <source>This profile was written by a newer version of Exile.</source>
        <translation>이 프로필은 더 새로운 버전의 Exile에서 만들어졌어요.</translation>
    </message>
    <message>
        <source>A relay on another computer must use wss:// (an encrypted connection).</source>
        <translation>다른 컴퓨터의 릴레이는 wss://(암호화된 연결)를 사용해야 해요.</translation>
    </message>
    <message>
        <source>That is not a relay address (wss://host or ws://127.0.0.1:port).</source>
        <translation>릴레이 주소가 아니에요(wss://호스트 또는 ws://127.0.0.1:포트).</translation>
    </message>
    <message>
        <source>The relay&apos;s certificate is not trusted.</source>
        <translation>릴레이의 인증서를 신뢰할 수 없어요.</translation>
    </message>
    <message>
        <source>That was not accepted. Check what you entered.</source>
        <translation>받아들일 수 없어요. 입력한 내용을 확인해 주세요.</translation>
    </message>
    <message>
        <source>Something went wrong (error %1).</source>
        <translation>문제가 발생했어요(오류 %1).</translation>
    </message>
    <message>
        <source>Check your name (up to 64 bytes) and the relay address.</source>
        <translation>이름(최대 64바이트)과 릴레이 주소를 확인해 주세요.</translation>
    </message>
    <message>
        <source>This is not a valid Exile invitation link.</source>
        <translation>올바른 Exile 초대 링크가 아니에요.</translation>
    </message>
</context>
<context>
    <name>exile::app::MessageListModel</name>
    <message>
        <source>Today</source>
        <translation>오늘</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>어제</translation>
    </message>
</context>
</TS>
