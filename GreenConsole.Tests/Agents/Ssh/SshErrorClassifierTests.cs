using GreenConsole.Agents.Ssh;
using GreenConsole.Core.Remote;

namespace GreenConsole.Tests.Agents.Ssh;

/// <summary>Lines below were printed by OpenSSH_9.2p1 (Debian 12) against the lab sshd instances.</summary>
public sealed class SshErrorClassifierTests
{
    private const string ChangedBanner =
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n" +
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\n" +
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\r\n" +
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\r\n" +
        "Someone could be eavesdropping on you right now (man-in-the-middle attack)!\r\n" +
        "It is also possible that a host key has just been changed.\r\n" +
        "The fingerprint for the ED25519 key sent by the remote host is\n" +
        "SHA256:x+JzZdubAzsngrYDYVgENmRj7kLd3hCMHWjYLNqPBkY.\r\n" +
        "Please contact your system administrator.\r\n" +
        "Add correct host key in /tmp/sx/known_hosts3 to get rid of this message.\r\n" +
        "Offending ED25519 key in /tmp/sx/known_hosts3:1\r\n" +
        "  remove with:\r\n" +
        "  ssh-keygen -f \"/tmp/sx/known_hosts3\" -R \"gc-kr\"\r\n" +
        "Host key for gc-kr has changed and you have requested strict checking.\r\n" +
        "Host key verification failed.\r\n";

    [Theory]
    [InlineData("gctx-kr@127.0.0.1: Permission denied (publickey,password,keyboard-interactive).", RemoteErrorKind.AuthenticationFailed)]
    [InlineData("gctx-kr@127.0.0.1: Permission denied (publickey).\r\n", RemoteErrorKind.AuthenticationFailed)]
    [InlineData("Received disconnect from 127.0.0.1 port 2201:2: Too many authentication failures", RemoteErrorKind.AuthenticationFailed)]
    [InlineData("ssh: connect to host 127.0.0.1 port 1: Connection refused", RemoteErrorKind.HostUnreachable)]
    [InlineData("ssh: Could not resolve hostname nonexistent.invalid: Name or service not known", RemoteErrorKind.HostUnreachable)]
    [InlineData("Connection timed out during banner exchange", RemoteErrorKind.HostUnreachable)]
    [InlineData("ssh: connect to host 10.0.0.1 port 22: No route to host", RemoteErrorKind.HostUnreachable)]
    [InlineData("kex_exchange_identification: read: Connection reset by peer", RemoteErrorKind.HostUnreachable)]
    [InlineData("No ED25519 host key is known for gc-zz and you have requested strict checking.\r\nHost key verification failed.", RemoteErrorKind.HostKeyChanged)]
    [InlineData(ChangedBanner, RemoteErrorKind.HostKeyChanged)]
    public void Recognises_ssh_diagnostics(string stderr, RemoteErrorKind expected) =>
        Assert.Equal(expected, SshErrorClassifier.Classify(stderr));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("cat: /root/secret: Permission denied")]
    [InlineData("bash: line 1: ./train.py: Permission denied")]
    [InlineData("Traceback (most recent call last):\n  ValueError: bad batch")]
    public void Leaves_remote_program_errors_alone(string? stderr) =>
        Assert.Null(SshErrorClassifier.Classify(stderr));

    [Fact]
    public void Reads_the_presented_fingerprint_from_the_changed_banner() =>
        Assert.Equal("SHA256:x+JzZdubAzsngrYDYVgENmRj7kLd3hCMHWjYLNqPBkY", SshErrorClassifier.PresentedFingerprint(ChangedBanner));

    [Fact]
    public void Summary_drops_the_banner_and_keeps_the_verdict()
    {
        var summary = SshErrorClassifier.Summarize(ChangedBanner);
        Assert.DoesNotContain("@@@", summary);
        Assert.Contains("Host key verification failed.", summary);
    }

    [Fact]
    public void Fingerprint_matches_ssh_keygen()
    {
        // ssh-keygen -lf printed "256 SHA256:x+JzZdubAzsngrYDYVgENmRj7kLd3hCMHWjYLNqPBkY lab-kr (ED25519)" for this key.
        var entries = KnownHosts.Parse(["[127.0.0.1]:2301 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP0XcmkLNCJwu0jpCO0HRNGSj/FaLbyBHcj9kEukK2BP"]);
        var entry = Assert.Single(entries);
        Assert.Equal("[127.0.0.1]:2301", entry.Host);
        Assert.Equal("SHA256:x+JzZdubAzsngrYDYVgENmRj7kLd3hCMHWjYLNqPBkY", entry.Fingerprint);
        Assert.True(KnownHosts.SameFingerprint(entry.Fingerprint, "x+JzZdubAzsngrYDYVgENmRj7kLd3hCMHWjYLNqPBkY="));
        Assert.False(KnownHosts.SameFingerprint(entry.Fingerprint, "SHA256:X+JzZdubAzsngrYDYVgENmRj7kLd3hCMHWjYLNqPBkY"));
    }

    [Theory]
    [InlineData("/data/x", "'/data/x'")]
    [InlineData("it's here", "'it'\\''s here'")]
    [InlineData("~/ckpt/a b", "\"$HOME\"/'ckpt/a b'")]
    [InlineData("~", "\"$HOME\"")]
    [InlineData("$(rm -rf /)", "'$(rm -rf /)'")]
    public void Quotes_remote_paths(string path, string expected) =>
        Assert.Equal(expected, RemoteQuoting.QuotePath(path));

    [Theory]
    [InlineData("/a/b/c", "/a/b", "c")]
    [InlineData("/a/b/dir/", "/a/b", "dir")]
    [InlineData("file", ".", "file")]
    [InlineData("/top", "/", "top")]
    [InlineData("~/x", "~", "x")]
    public void Splits_remote_paths(string path, string parent, string name) =>
        Assert.Equal((parent, name), RemoteQuoting.Split(path));
}
