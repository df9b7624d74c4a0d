{
  empty = [ ];
  long = [ "alpha" "bravo" "charlie" "delta" "echo" "foxtrot" "golf" "hotel" ];
  mixed = [ null true false "x" 3 ];
  multilineString = [
    ''
      one
      two
    ''
  ];
  nested = [
    [ ]
    [ 1 ]
    [
      [ 2 (-3) ]
    ]
    { }
  ];
  numbers = [ 1 (-1) 0 (-2.5) 1.0e+300 (-1.0e-300) ];
  sets = [
    {
      a = 1;
    }
    {
      b = [
        {
          c = null;
        }
      ];
    }
  ];
  short = [ "a" "b" "c" ];
}
