using GreenConsole.Core.Hardware;

namespace GreenConsole.Tests.Core.Hardware;

public class CpuTimesTests
{
    [Theory]
    [InlineData(100UL, 900UL, 150UL, 950UL, 0.5)]
    [InlineData(100UL, 900UL, 200UL, 900UL, 1.0)]
    [InlineData(100UL, 900UL, 100UL, 1000UL, 0.0)]
    public void Utilization_is_busy_share_of_the_delta(ulong busy0, ulong idle0, ulong busy1, ulong idle1, double expected)
    {
        Assert.Equal(expected, CpuTimes.Utilization(new CpuTimes(busy0, idle0), new CpuTimes(busy1, idle1))!.Value, 9);
    }

    [Fact]
    public void Counters_that_go_backwards_give_no_utilisation()
    {
        Assert.Null(CpuTimes.Utilization(new CpuTimes(500, 500), new CpuTimes(10, 10)));
        Assert.Null(CpuTimes.Utilization(new CpuTimes(500, 500), new CpuTimes(500, 500)));
    }

    [Fact]
    public void Missing_field_says_why_and_refuses_value_access()
    {
        var field = ProbeField<double>.Missing("nvidia-smi not installed");

        Assert.False(field.HasValue);
        var ex = Assert.Throws<InvalidOperationException>(() => field.Value);
        Assert.Contains("nvidia-smi not installed", ex.Message);
        Assert.Equal("missing (nvidia-smi not installed)", field.ToString());
    }
}
