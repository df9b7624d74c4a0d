{
  emptyString = "";
  false = false;
  half = 0.5;
  huge = 1.5e+300;
  int = 42;
  largest = 1.7976931348623157e+308;
  maxSafe = 9007199254740991;
  minSafe = -9007199254740991;
  negative = -7;
  negativeQuarter = -0.25;
  negativeZero = 0;
  null = null;
  oneE21 = 1.0e+21;
  smallestNormal = 2.2250738585072014e-308;
  string = "hello";
  third = 0.3333333333333333;
  tiny = 1.0e-7;
  true = true;
  twoPow53 = 9.007199254740992e+15;
  twoPow60 = 1.152921504606847e+18;
  zero = 0;
}
