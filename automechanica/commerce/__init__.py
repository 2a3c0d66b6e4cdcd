"""Selling: garage, cart, checkout, test payments, orders, purchase orders, returns."""
