namespace GreenConsole.Core.Accounting;

/// <summary>An everyday comparison for an amount of CO2, with the factor and where it comes from.</summary>
public sealed record Equivalent(string Name, double Amount, string Unit, double GramsPerUnit, string Source);

/// <summary>
/// Turns grams of CO2eq into everyday equivalents. Factors are the U.S. EPA Greenhouse Gas Equivalencies Calculator's
/// (calculations and references page); they are U.S. averages and only meant to make a figure tangible.
/// </summary>
public static class Equivalents
{
    /// <summary>EPA: 4.04 × 10⁻⁴ metric tons CO2e per mile driven by an average passenger vehicle (= 251 g per km).</summary>
    public const double GramsPerKmDriven = 404.0 / 1.609344;

    /// <summary>EPA: 8.22 × 10⁻⁶ metric tons CO2 per smartphone fully charged.</summary>
    public const double GramsPerSmartphoneCharge = 8.22;

    /// <summary>EPA: an urban tree seedling grown for 10 years sequesters 0.060 metric tons CO2, i.e. 500 g per tree-month.</summary>
    public const double GramsPerTreeMonth = 60_000.0 / 120;

    private const string Epa = "U.S. EPA Greenhouse Gas Equivalencies Calculator";

    public static IReadOnlyList<Equivalent> For(double grams) =>
    [
        new("driving an average passenger car", grams / GramsPerKmDriven, "km", GramsPerKmDriven, Epa + ": 4.04e-4 t CO2e per mile"),
        new("charging a smartphone", grams / GramsPerSmartphoneCharge, "charges", GramsPerSmartphoneCharge, Epa + ": 8.22e-6 t CO2 per charge"),
        new("what a tree seedling absorbs", grams / GramsPerTreeMonth, "tree-months", GramsPerTreeMonth, Epa + ": 0.060 t CO2 per seedling over 10 years"),
    ];
}
