using GreenConsole.Core.Clouds;
using GreenConsole.Core.Remote;

namespace GreenConsole.Tests.Core.Clouds;

/// <summary>A user name that the SSH layer would refuse is refused at import, with its row and field.</summary>
public sealed class HostileCsvUsernameTests
{
    [Theory]
    [InlineData("o'neil")]
    [InlineData("a%b")]
    [InlineData("a\"b")]
    [InlineData("x;touch${IFS}y")]
    [InlineData("-oProxyCommand=x")]
    [InlineData("a b")]
    public async Task A_name_the_ssh_layer_refuses_is_rejected_naming_row_and_field(string user)
    {
        var csv = "IP Address of Cloud Server,Username,Password,Port,Country Code,Country Name\n" +
                  $"192.0.2.1,\"{user.Replace("\"", "\"\"", StringComparison.Ordinal)}\",pw-hostile-2,22,KR,South Korea\n";
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(csv));
        var result = await CloudCsvParser.ParseAsync(stream, null, CancellationToken.None);
        var issue = Assert.Single(result.AllErrors);
        Assert.Equal(2, issue.Row);
        Assert.Equal(CloudCsvColumns.Username, issue.Field);
        Assert.False(SshNames.IsValidUsername(user));
    }

    [Theory]
    [InlineData("ubuntu")]
    [InlineData("ec2-user")]
    [InlineData("svc_train.01")]
    [InlineData("machine$")]
    public void Ordinary_names_stay_valid(string user) => Assert.True(SshNames.IsValidUsername(user));
}
