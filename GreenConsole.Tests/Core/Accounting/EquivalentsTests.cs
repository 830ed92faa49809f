using GreenConsole.Core.Accounting;

namespace GreenConsole.Tests.Core.Accounting;

public sealed class EquivalentsTests
{
    [Theory]
    // 251.03 g is one km by car; 8.22 g one phone charge; 500 g one tree-month.
    [InlineData(251.0316, 1.0, 30.539, 0.50206)]
    [InlineData(500.0, 1.99178, 60.827, 1.0)]
    [InlineData(0.0, 0.0, 0.0, 0.0)]
    public void Grams_become_km_charges_and_tree_months(double grams, double km, double charges, double treeMonths)
    {
        var e = Equivalents.For(grams);
        Assert.Equal(km, e[0].Amount, 3);
        Assert.Equal(charges, e[1].Amount, 2);
        Assert.Equal(treeMonths, e[2].Amount, 3);
        Assert.All(e, x => Assert.Contains("EPA", x.Source, StringComparison.Ordinal));
    }
}
