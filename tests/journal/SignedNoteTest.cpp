// C2SP signed notes (Ed25519) and the device key: the golang.org/x/mod known answer byte for byte,
// key ids and key strings, what a verifier must refuse, and the key file.

#include "firmware/journal/SignedNote.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "firmware/journal/Checkpoint.h"
#include "tests/journal/JournalTestSupport.h"
#include "tests/support/TestSupport.h"

namespace sentinel::journal {
namespace {

using sentinel::testing::TempDir;

struct KnownAnswer {
    std::string signerKey, verifierKey, text, note;
};

// testdata/tlog/signed-note.txt: the keys, then the signed note between BEGIN/END NOTE markers;
// its text is everything before the blank line.
std::optional<KnownAnswer> knownAnswer() {
    const auto path = sentinel::testing::testdataDir() / "tlog" / "signed-note.txt";
    if (!std::filesystem::exists(path)) return std::nullopt;
    const std::string all = testing::readAll(path);
    KnownAnswer k;
    auto value = [&](const std::string& label) {
        const auto at = all.find(label);
        const auto end = all.find('\n', at);
        return all.substr(at + label.size(), end - at - label.size());
    };
    k.signerKey = value("private key: ");
    k.verifierKey = value("verifier key: ");
    const std::string begin = "-----BEGIN NOTE-----\n";
    const auto from = all.find(begin) + begin.size();
    k.note = all.substr(from, all.find("-----END NOTE-----") - from);
    k.text = k.note.substr(0, k.note.rfind("\n\n") + 1);
    return k;
}

TEST(SignedNoteTest, SigningTheKnownTextGivesTheKnownNoteByteForByte) {
    auto k = knownAnswer();
    if (!k) GTEST_SKIP() << "testdata/tlog/signed-note.txt is absent";
    auto signer = NoteSigner::fromSignerKey(k->signerKey);
    ASSERT_TRUE(signer) << signer.error().message;
    EXPECT_EQ(k->verifierKey, signer->verifier().toString());
    auto note = signer->sign(k->text);
    ASSERT_TRUE(note) << note.error().message;
    EXPECT_EQ(k->note, *note);
}

TEST(SignedNoteTest, TheKnownNoteOpensWithTheKnownVerifierKey) {
    auto k = knownAnswer();
    if (!k) GTEST_SKIP() << "testdata/tlog/signed-note.txt is absent";
    auto v = NoteVerifier::parse(k->verifierKey);
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ("PeterNeumann", v->name());
    EXPECT_EQ(0xc74f20a3u, v->keyId());
    EXPECT_EQ(0xc74f20a3u, ed25519KeyId(v->name(), v->publicKey()));
    auto text = v->open(k->note);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(k->text, *text);
}

TEST(SignedNoteTest, AChangedTextOrSignatureDoesNotOpen) {
    auto signer = testing::testSigner();
    auto note = signer.sign("origin\n5\nroot\n");
    ASSERT_TRUE(note);
    ASSERT_TRUE(signer.verifier().open(*note));
    std::string changed = *note;
    changed[7] = '6';  // the size
    EXPECT_FALSE(signer.verifier().open(changed));
    std::string badSig = *note;
    badSig[badSig.size() - 10] = badSig[badSig.size() - 10] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(signer.verifier().open(badSig));
}

TEST(SignedNoteTest, ANoteSignedByAnotherKeyOfTheSameNameDoesNotOpen) {
    auto ours = testing::testSigner();
    auto theirs = testing::testSigner();  // a forger's key under the kiosk's name
    auto note = theirs.sign("sentinel.kiosk/BJ-WEST-07/abc\n3\nroot\n");
    ASSERT_TRUE(note);
    auto opened = ours.verifier().open(*note);
    ASSERT_FALSE(opened);
    EXPECT_NE(std::string::npos, opened.error().message.find("no signature"));
}

TEST(SignedNoteTest, SignaturesOfUnknownKeysAreIgnored) {
    auto ours = testing::testSigner();
    auto witness = std::move(NoteSigner::generate("witness.example/w1").value());
    auto note = ours.sign("text\n");
    ASSERT_TRUE(note);
    auto cosigned = witness.sign("text\n");
    ASSERT_TRUE(cosigned);
    // Both signature lines after one text: ours verifies, the witness's is not ours to judge.
    const std::string both = *note + cosigned->substr(cosigned->rfind("\n\n") + 2);
    auto text = ours.verifier().open(both);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ("text\n", *text);
}

TEST(SignedNoteTest, MalformedNotesAreRefused) {
    auto signer = testing::testSigner();
    const std::string good = *signer.sign("a\nb\n");
    EXPECT_TRUE(parseNote(good));
    EXPECT_FALSE(parseNote(good.substr(0, good.size() - 1)));                 // no final newline
    EXPECT_FALSE(parseNote("a\nb\n"));                                        // no signatures
    EXPECT_FALSE(parseNote("a\x01\n\n" + good.substr(good.rfind("\n\n") + 2)));  // control character
    EXPECT_FALSE(parseNote("a\n\n- name AAAA\n"));                            // not an em dash
    EXPECT_FALSE(parseNote("a\n\n\xE2\x80\x94 name !!!!\n"));                 // not base64
    EXPECT_FALSE(parseNote("a\n\n\xE2\x80\x94 na+me AAAAAA==\n"));            // '+' in a key name
    EXPECT_FALSE(signer.sign("no newline"));
    EXPECT_FALSE(signer.sign("blank line at the end\n\n"));
}

TEST(SignedNoteTest, VerifierKeysWithAWrongIdOrTypeAreRefused) {
    auto signer = testing::testSigner();
    const std::string vkey = signer.verifier().toString();
    EXPECT_TRUE(NoteVerifier::parse(vkey));
    std::string wrongId = vkey;
    const auto plus = wrongId.find('+');
    wrongId[plus + 1] = wrongId[plus + 1] == '0' ? '1' : '0';
    EXPECT_FALSE(NoteVerifier::parse(wrongId));
    EXPECT_FALSE(NoteVerifier::parse("name+01020304+AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));  // type 0x02
    EXPECT_FALSE(NoteVerifier::parse("no-plus-signs"));
}

TEST(SignedNoteTest, TheDeviceKeyIsCreatedOnceWithMode0600) {
    TempDir dir;
    auto first = loadOrCreateJournalKey(dir.path(), "BJ-WEST-07");
    ASSERT_TRUE(first) << first.error().message;
    struct stat st {};
    ASSERT_EQ(0, ::stat((dir / kJournalKeyFile).c_str(), &st));
    EXPECT_EQ(0600u, st.st_mode & 0777);
    auto again = loadOrCreateJournalKey(dir.path(), "BJ-WEST-07");
    ASSERT_TRUE(again);
    EXPECT_EQ(first->verifier().toString(), again->verifier().toString());
    EXPECT_EQ("sentinel.kiosk/BJ-WEST-07", first->verifier().name());
    auto loaded = loadJournalKey(dir.path(), "BJ-WEST-07");
    ASSERT_TRUE(loaded);
    EXPECT_EQ(first->verifier().publicKey(), loaded->verifier().publicKey());
}

TEST(SignedNoteTest, LoadingAMissingKeyIsAnErrorAndCreatesNothing) {
    TempDir dir;
    EXPECT_FALSE(loadJournalKey(dir.path(), "BJ-WEST-07"));
    EXPECT_FALSE(std::filesystem::exists(dir / kJournalKeyFile));
}

TEST(SignedNoteTest, AKeyFileReadableByOthersIsTightened) {
    TempDir dir;
    ASSERT_TRUE(loadOrCreateJournalKey(dir.path(), "K1"));
    ASSERT_EQ(0, ::chmod((dir / kJournalKeyFile).c_str(), 0644));
    ASSERT_TRUE(loadJournalKey(dir.path(), "K1"));
    struct stat st {};
    ASSERT_EQ(0, ::stat((dir / kJournalKeyFile).c_str(), &st));
    EXPECT_EQ(0600u, st.st_mode & 0777);
}

TEST(SignedNoteTest, AKeyFileThatIsNotAnEd25519KeyIsRefused) {
    TempDir dir;
    {
        std::ofstream out(dir / kJournalKeyFile);
        out << "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n";
    }
    ::chmod((dir / kJournalKeyFile).c_str(), 0600);
    EXPECT_FALSE(loadOrCreateJournalKey(dir.path(), "K1"));
}

TEST(SignedNoteTest, AKioskIdThatCannotNameAKeyIsRefused) {
    TempDir dir;
    EXPECT_FALSE(loadOrCreateJournalKey(dir.path(), "BJ WEST 07"));
    EXPECT_FALSE(loadOrCreateJournalKey(dir.path(), "BJ+07"));
}

TEST(SignedNoteTest, ACheckpointBodyRoundTripsAndRefusesLeadingZeroes) {
    CheckpointBody b{"sentinel.kiosk/K/0123", 42, tlog::leafHash("x"), {"migrated 40 absent 1-3,7-7"}};
    const std::string text = formatCheckpointBody(b);
    auto back = parseCheckpointBody(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(b.origin, back->origin);
    EXPECT_EQ(b.size, back->size);
    EXPECT_EQ(b.root, back->root);
    auto m = migrationOf(*back);
    ASSERT_TRUE(m);
    EXPECT_EQ(40, m->size);
    ASSERT_EQ(2u, m->absent.size());
    EXPECT_TRUE(m->isAbsent(2));
    EXPECT_FALSE(m->isAbsent(5));
    EXPECT_TRUE(m->isAbsent(7));
    EXPECT_FALSE(parseCheckpointBody("o\n042\n" + tlog::toBase64(b.root) + "\n"));
    EXPECT_FALSE(parseCheckpointBody("o\n42\nnot-a-root\n"));
    EXPECT_FALSE(parseCheckpointBody("o\n42\n"));
}

}  // namespace
}  // namespace sentinel::journal
