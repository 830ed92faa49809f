using System.Diagnostics;
using System.Security.Cryptography;
using GreenConsole.Agents.Ssh;

namespace GreenConsole.Tests.Agents.Ssh;

/// <summary>The controller's record of a relayed tar stream, fed with archives GNU tar itself writes.</summary>
public sealed class HostileTarStreamTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("gc-hostile-tar-");

    public void Dispose() => _root.Delete(recursive: true);

    private async Task<byte[]> TarAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("tar") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-C", _root.FullName, "-cf", "-", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        using var buffer = new MemoryStream();
        await p.StandardOutput.BaseStream.CopyToAsync(buffer);
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, await p.StandardError.ReadToEndAsync());
        return buffer.ToArray();
    }

    private static TarStreamRecorder Feed(byte[] tar, int chunk)
    {
        var r = new TarStreamRecorder();
        for (var i = 0; i < tar.Length; i += chunk)
        {
            r.Append(tar.AsSpan(i, Math.Min(chunk, tar.Length - i)));
        }

        return r;
    }

    [Theory]
    [InlineData("gnu", 1)]
    [InlineData("gnu", 4096)]
    [InlineData("pax", 511)]
    [InlineData("ustar", 1_000_000)]
    public async Task Every_file_is_recorded_with_its_own_hash_in_any_chunking(string format, int chunk)
    {
        var ckpt = Directory.CreateDirectory(Path.Combine(_root.FullName, "step-7"));
        var deep = Directory.CreateDirectory(Path.Combine(ckpt.FullName, "shards", new string('d', 60)));
        var files = new Dictionary<string, byte[]>
        {
            ["step-7/state.pt"] = RandomNumberGenerator.GetBytes(70_001),
            ["step-7/manifest.json"] = "{}"u8.ToArray(),
            ["step-7/empty.bin"] = [],
            [$"step-7/shards/{deep.Name}/{new string('f', 90)}.bin"] = RandomNumberGenerator.GetBytes(513),
        };
        foreach (var (path, bytes) in files)
        {
            await File.WriteAllBytesAsync(Path.Combine(_root.FullName, path), bytes);
        }

        var r = Feed(await TarAsync("--format=" + format, "--", "step-7"), chunk);
        Assert.True(r.Ended);
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal), r.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        foreach (var f in r.Files)
        {
            Assert.Equal(files[f.Path].LongLength, f.Size);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(files[f.Path])), f.Sha256);
        }
    }

    [Theory]
    [InlineData("symlink", "symbolic link")]
    [InlineData("hardlink", "hard link")]
    [InlineData("fifo", "named pipe")]
    public async Task A_link_or_special_file_in_a_checkpoint_is_refused(string kind, string named)
    {
        var ckpt = Directory.CreateDirectory(Path.Combine(_root.FullName, "step-9"));
        await File.WriteAllTextAsync(Path.Combine(ckpt.FullName, "state.pt"), "x");
        var evil = Path.Combine(ckpt.FullName, "evil");
        switch (kind)
        {
            case "symlink":
                File.CreateSymbolicLink(evil, "/etc/passwd");
                break;
            case "hardlink":
                using (Process.Start("ln", [Path.Combine(ckpt.FullName, "state.pt"), evil])!)
                {
                }

                await WaitForAsync(() => File.Exists(evil));
                break;
            default:
                using (var p = Process.Start("mkfifo", [evil])!)
                {
                    await p.WaitForExitAsync();
                }

                break;
        }

        var tar = await TarAsync("--", "step-9");
        var e = Assert.Throws<UnsafeArchiveException>(() => Feed(tar, 4096));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.Contains("step-9/", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_that_is_not_tar_is_malformed_not_unsafe()
    {
        var junk = "Welcome to the cloud!\n"u8.ToArray().Concat(new byte[600]).ToArray();
        Assert.Throws<InvalidDataException>(() => Feed(junk, 100));
        await Task.CompletedTask;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!condition() && DateTime.UtcNow < until)
        {
            await Task.Delay(20);
        }
    }
}
