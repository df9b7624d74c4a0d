{
  kept = 1;
  nested = { };
}
